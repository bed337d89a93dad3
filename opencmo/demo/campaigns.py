"""The demo's campaigns: two years of them across channels and segments, each with its RACI, taken
through the real lifecycle (launch approval by the Accountable person, live, done, evaluated)."""

import datetime as dt
import random
from decimal import Decimal

from opencmo.campaigns import services as campaigns
from opencmo.campaigns.models import Campaign, Channel
from opencmo.core.models import Workspace
from opencmo.org import approvals
from opencmo.org.models import Person
from opencmo.strategy.models import Objective, Segment

# (name, channel keys, segment index, objective index, agency, weeks, creates_leads)
CAMPAIGNS = [
    ("Spring hiking collection", ["paid_social", "organic_social", "email"], 1, 0, True, 8, False),
    ("Retailer spring pre-order", ["events", "email", "partnerships"], 0, 1, False, 6, True),
    ("Fjellvind shell teaser", ["organic_social", "pr"], 2, 3, False, 4, False),
    ("Fjellvind shell launch", ["paid_search", "paid_social", "display", "pr"], 2, 3, True, 8, False),
    ("Summer trails newsletter series", ["email", "seo_content"], 1, 4, False, 12, False),
    ("Repair, don't replace", ["organic_social", "pr", "seo_content"], 1, 2, False, 10, False),
    ("Autumn catalogue", ["offline_print", "email"], 0, 1, False, 6, True),
    ("Black week", ["paid_search", "paid_social", "email", "display"], 1, 0, True, 2, False),
    ("Christmas gifting B2B", ["email", "partnerships"], 3, 1, False, 6, True),
    ("Winter alpine layers", ["paid_search", "display", "tv_radio"], 2, 0, True, 10, False),
    ("Friluftsmessen trade fair", ["events"], 0, 1, False, 1, True),
    ("Always-on paid search", ["paid_search"], 1, 0, True, 26, False),
    ("Brand film: Nordlys light", ["tv_radio", "organic_social", "display"], 1, 2, True, 6, False),
    ("SEO guides: layering", ["seo_content"], 1, 4, False, 16, False),
    ("Partner webinar series", ["partnerships", "email"], 0, 1, False, 8, True),
    ("Influencer autumn hikes", ["organic_social", "paid_social"], 1, 2, True, 6, False),
    ("Student discount", ["paid_social", "email"], 1, 0, False, 4, False),
    ("Corporate gifting catalogue", ["offline_print", "email"], 3, 1, False, 6, True),
    ("Easter in the mountains", ["paid_social", "email"], 2, 0, True, 3, False),
    ("Rental pilot Oslo", ["pr", "organic_social"], 1, 2, False, 8, False),
    ("Newsletter re-engagement", ["email"], 1, 4, False, 4, False),
    ("Ski season opener", ["paid_search", "paid_social", "display"], 2, 0, True, 5, False),
]

# When each campaign runs: (years from this year, month). Seasonal names run in their season; two
# start next year so the plan has a future.
WHEN = [
    (-1, 3),
    (-1, 2),
    (-1, 4),
    (-1, 5),
    (-1, 6),
    (-1, 8),
    (-1, 8),
    (-1, 11),
    (-1, 11),
    (-1, 12),
    (0, 2),
    (0, 1),
    (0, 5),
    (0, 3),
    (0, 9),
    (0, 9),
    (0, 8),
    (0, 10),
    (1, 3),
    (0, 11),
    (0, 12),
    (1, 1),
]


def _approve_launch(campaign: Campaign, requester: Person) -> None:
    """Planned → approved through a real launch approval (the RACI has no C, so it goes straight to A)."""
    campaign = campaigns.campaign_set_status(actor=requester.user, campaign=campaign, status="planned")
    request = campaigns.campaign_request_launch(
        actor=requester.user, campaign=campaign, summary=f"Launch {campaign.name}"
    )
    approvals.approval_decide(
        actor=request.approver.user,
        request=request,
        approve=True,
        comment="Plan, budget and creative are ready.",
    )


def build_campaigns(
    workspace: Workspace, people: dict[str, Person], objectives: list[Objective], *, seed: int, today: dt.date
) -> list[Campaign]:
    rng = random.Random(seed + 1)
    campaigns.channels_seed(actor=None, workspace=workspace)
    channels = {c.key: c for c in Channel.objects.filter(workspace=workspace)}
    segments = list(Segment.objects.filter(workspace=workspace).order_by("pk"))
    agency = people["agency_lead"].organisation
    made = []
    for index, (name, keys, segment, objective, by_agency, weeks, leads) in enumerate(CAMPAIGNS):
        years, month = WHEN[index]
        start = dt.date(today.year + years, month, rng.randint(1, 20))
        end = start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)
        responsible = (
            [people["agency_perf"]] if by_agency else [people[rng.choice(["project", "content", "social"])]]
        )
        campaign = campaigns.campaign_create(
            actor=None,
            workspace=workspace,
            name=f"{name} {start.year}" if "Always" not in name else name,
            start_date=start,
            end_date=end,
            objectives=[objectives[objective]] if start.year == today.year else [],
            channels=[channels[k] for k in keys],
            segment=segments[segment],
            agency=agency if by_agency else "",
            description=f"{name}: {', '.join(channels[k].name for k in keys)} for {segments[segment].name}.",
            accountable=people["mm"],
            responsible=responsible,
            creates_leads=leads,
        )
        if start.year == today.year:
            kpis = list(objectives[objective].kpis.all())
            campaigns.expected_results_set(
                actor=None,
                campaign=campaign,
                values={
                    k: ((Decimal(k.target) - Decimal(k.baseline)) / 6).quantize(Decimal("0.01"))
                    for k in kpis
                    if k.cumulative
                },
            )
        _advance(campaign, people, today)
        made.append(campaign)
    return made


def _advance(campaign: Campaign, people: dict[str, Person], today: dt.date) -> None:
    requester, accountable = people["mm"], people["mm"]
    if campaign.start_date > today + dt.timedelta(days=60):
        return  # still an idea
    if campaign.start_date > today + dt.timedelta(days=21):
        campaigns.campaign_set_status(actor=requester.user, campaign=campaign, status="planned")
        return
    _approve_launch(campaign, requester)
    if campaign.start_date > today:
        return
    campaign = campaigns.campaign_set_status(actor=accountable.user, campaign=campaign, status="live")
    if campaign.end_date >= today:
        return
    campaign = campaigns.campaign_set_status(actor=accountable.user, campaign=campaign, status="done")
    if campaign.end_date < today - dt.timedelta(days=30):
        campaigns.campaign_set_status(
            actor=accountable.user,
            campaign=campaign,
            status="evaluated",
            note="Reached the audience we planned for; creative fatigue after week 4: rotate sooner.",
        )
