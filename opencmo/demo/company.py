"""Nordlys Outdoor AS: a Norwegian maker of outdoor clothing selling to retailers (B2B) and online to
consumers (B2C), its agency, and a small Danish sister company where one person wears both the CMO and
the marketing-manager hat.

Names are drawn from Nordic name pools with a seeded RNG so every run builds the same company.
Later issues extend `build` with objectives, campaigns, budgets, spend and customer events.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from opencmo.budget import demo as budget_demo
from opencmo.core.models import Access, Notification, Workspace
from opencmo.core.services import membership_add, workspace_create
from opencmo.crm.demo import build_contacts
from opencmo.demo import analytics as analytics_demo
from opencmo.demo.campaigns import build_campaigns
from opencmo.demo.plan import build_strategy
from opencmo.demo.work import build_work
from opencmo.org.approvals import approval_request
from opencmo.org.models import Activity, DecisionKind, Person, Role
from opencmo.org.raci_services import activity_create, authority_set, policy_update, raci_set
from opencmo.org.services import person_create
from opencmo.reviews.demo import build_reviews

DEMO_PASSWORD = "nordlys-demo-2026"
ADMIN_EMAIL = "admin@nordlys.example"
MAIN_SLUG = "nordlys"
SISTER_SLUG = "nordlys-studio"

FIRST_NAMES = [
    "Ingrid",
    "Lars",
    "Sigrid",
    "Henrik",
    "Astrid",
    "Magnus",
    "Kari",
    "Eirik",
    "Solveig",
    "Anders",
    "Liv",
    "Jonas",
    "Marit",
    "Ole",
    "Hanne",
    "Tobias",
    "Nora",
    "Emil",
    "Frida",
    "Mathias",
    "Ida",
    "Sindre",
    "Maja",
    "Kristian",
]
LAST_NAMES = [
    "Haugen",
    "Berg",
    "Lunde",
    "Dahl",
    "Nilsen",
    "Strand",
    "Solberg",
    "Bakke",
    "Lie",
    "Moen",
    "Halvorsen",
    "Eriksen",
    "Sørensen",
    "Jensen",
    "Lindqvist",
    "Nyström",
    "Holm",
    "Aas",
]


@dataclass
class Seat:
    """One person in the demo: their hats, title, manager and access."""

    key: str
    title: str
    roles: list[str]
    reports_to: str | None
    access: str = Access.MEMBER
    organisation: str = ""
    email_domain: str = "nordlys.example"


MAIN_TEAM = [
    Seat("ceo", "Chief Executive Officer", ["executive"], None),
    Seat("cmo", "Chief Marketing Officer", ["cmo"], "ceo", Access.ADMIN),
    Seat("mm", "Marketing Manager", ["marketing_manager"], "cmo", Access.ADMIN),
    Seat("strategist", "Marketing Strategist", ["strategist"], "cmo"),
    Seat("project", "Project Lead, Campaigns", ["project_lead"], "mm"),
    Seat("content", "Content Producer", ["content_producer"], "mm"),
    Seat("analyst", "Marketing Analyst", ["analyst"], "mm"),
    Seat("social", "Social Media Manager", ["social_media"], "mm"),
    Seat("seo", "SEO Specialist", ["seo"], "mm"),
    Seat("designer", "Graphic Designer", ["designer"], "mm"),
    Seat("sales", "Head of Sales", ["sales"], "ceo"),
    Seat("service", "Customer Service Lead", ["customer_service"], "ceo", Access.VIEWER),
    Seat(
        "agency_lead",
        "Account Director",
        ["agency"],
        "mm",
        organisation="Fjord & Fjell Digital",
        email_domain="fjordfjell.example",
    ),
    Seat(
        "agency_perf",
        "Performance Marketing Specialist",
        ["agency"],
        "agency_lead",
        organisation="Fjord & Fjell Digital",
        email_domain="fjordfjell.example",
    ),
]

SISTER_TEAM = [
    Seat(
        "sister_ceo",
        "Direktør (CEO)",
        ["executive"],
        None,
        Access.ADMIN,
        email_domain="nordlys-studio.example",
    ),
    Seat(
        "sister_cmo",
        "Marketing lead (CMO and marketing manager)",
        ["cmo", "marketing_manager"],
        "sister_ceo",
        Access.ADMIN,
        email_domain="nordlys-studio.example",
    ),
    # The agency serves both companies: the same two users hold a seat in each workspace.
    Seat(
        "agency_lead",
        "Account Director",
        ["agency"],
        "sister_cmo",
        organisation="Fjord & Fjell Digital",
        email_domain="fjordfjell.example",
    ),
    Seat(
        "agency_perf",
        "Performance Marketing Specialist",
        ["agency"],
        "agency_lead",
        organisation="Fjord & Fjell Digital",
        email_domain="fjordfjell.example",
    ),
]


def _names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    firsts = rng.sample(FIRST_NAMES, count)
    lasts = [rng.choice(LAST_NAMES) for _ in range(count)]
    return list(zip(firsts, lasts, strict=True))


def _email(first: str, last: str, domain: str) -> str:
    plain = last.lower().replace("ø", "o").replace("å", "a").replace("æ", "ae").replace("ö", "o")
    return f"{first.lower()}.{plain}@{domain}"


def _user(email: str, first: str, last: str):
    return get_user_model().objects.create_user(
        email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
    )


def _staff_team(
    workspace: Workspace, seats: list[Seat], users: dict[str, object], names: dict[str, tuple[str, str]]
) -> dict[str, Person]:
    roles = {r.key: r for r in Role.objects.filter(workspace=workspace)}
    people: dict[str, Person] = {}
    for seat in seats:
        user = users[seat.key]
        membership_add(actor=None, workspace=workspace, user=user, access=seat.access)
        first, last = names[seat.key]
        people[seat.key] = person_create(
            actor=None,
            workspace=workspace,
            name=f"{first} {last}",
            email=user.email,
            title=seat.title,
            organisation=seat.organisation,
            reports_to=people.get(seat.reports_to) if seat.reports_to else None,
            user=user,
            roles=[roles[k] for k in seat.roles],
        )
    return people


# (name, kind, flags, {letter: [seat keys or "role:<key>"]}). A few deliberate findings are built in:
# nobody Accountable, Accountable and Informed at once, a lead-creating activity without sales, and the
# marketing manager over the workload limit.
MAIN_ACTIVITIES = [
    ("Monthly newsletter", "process", {}, {"R": ["content"], "A": ["mm"], "C": ["designer"], "I": ["cmo"]}),
    ("Quarterly budget review", "process", {}, {"R": ["mm"], "A": ["cmo"], "C": ["analyst"], "I": ["ceo"]}),
    (
        "Annual marketing strategy",
        "process",
        {},
        {"R": ["strategist"], "A": ["cmo"], "C": ["mm", "analyst", "sales"], "I": ["ceo"]},
    ),
    (
        "Social media calendar",
        "process",
        {},
        {"R": ["social"], "A": ["mm"], "C": ["content"], "I": ["designer"]},
    ),
    ("SEO content plan", "process", {}, {"R": ["seo"], "A": ["mm"], "C": ["content"], "I": ["analyst"]}),
    (
        "Paid search and social campaigns",
        "process",
        {"restricted": True},
        {"R": ["agency_perf"], "A": ["mm"], "C": ["agency_lead"], "I": ["analyst"]},
    ),
    (
        "Trade fair: Friluftsmessen",
        "campaign",
        {"creates_leads": True},
        {"R": ["project"], "A": ["mm"], "C": ["designer"], "I": ["sales"]},
    ),
    ("Website lead forms", "process", {"creates_leads": True}, {"R": ["seo"], "A": ["mm"], "I": ["analyst"]}),
    ("Board marketing report", "process", {}, {"R": ["analyst"], "A": ["cmo"], "I": ["cmo", "ceo"]}),
    (
        "Customer feedback into messaging",
        "process",
        {},
        {"R": ["service"], "C": ["role:content_producer"], "I": ["mm"]},
    ),
    (
        "Product launch kit",
        "deliverable",
        {},
        {
            "R": ["role:project_lead"],
            "A": ["role:marketing_manager"],
            "C": ["role:designer"],
            "I": ["role:sales"],
        },
    ),
]
SISTER_ACTIVITIES = [
    ("Webshop newsletter", "process", {}, {"R": ["sister_cmo"], "A": ["sister_cmo"], "I": ["sister_ceo"]}),
    (
        "Instagram campaigns",
        "process",
        {"restricted": True},
        {"R": ["agency_perf"], "A": ["sister_cmo"], "C": ["agency_lead"], "I": ["sister_ceo"]},
    ),
]


def _activities(workspace: Workspace, people: dict[str, Person], specs) -> dict[str, Activity]:
    roles = {r.key: r for r in Role.objects.filter(workspace=workspace)}
    made = {}
    for name, kind, flags, letters in specs:
        activity = activity_create(actor=None, workspace=workspace, name=name, kind=kind, **flags)
        holders: dict[str, set[str]] = {}
        for letter, keys in letters.items():
            for key in keys:
                holders.setdefault(key, set()).add(letter)
        for key, held in holders.items():
            if key.startswith("role:"):
                raci_set(actor=None, activity=activity, role=roles[key[5:]], letters=held)
            else:
                raci_set(actor=None, activity=activity, person=people[key], letters=held)
        made[name] = activity
    return made


def _main_raci(workspace: Workspace, people: dict[str, Person]) -> None:
    roles = {r.key: r for r in Role.objects.filter(workspace=workspace)}
    budget = DecisionKind.BUDGET
    authority_set(
        actor=None, workspace=workspace, kind=budget, role=roles["cmo"], max_amount=Decimal(1_500_000)
    )
    authority_set(
        actor=None,
        workspace=workspace,
        kind=budget,
        role=roles["marketing_manager"],
        max_amount=Decimal(150_000),
    )
    for kind in (DecisionKind.CONTENT, DecisionKind.LAUNCH):
        authority_set(actor=None, workspace=workspace, kind=kind, role=roles["marketing_manager"])
    authority_set(actor=None, workspace=workspace, kind=DecisionKind.CONTENT, role=roles["social_media"])
    policy_update(actor=None, workspace=workspace, max_accountable=6)
    made = _activities(workspace, people, MAIN_ACTIVITIES)
    # Open approvals: one waiting for the analyst's sign-off, one escalated past the marketing manager's
    # and the CMO's limits to the CEO.
    _request_as(people["mm"], made["Quarterly budget review"], budget, "Q1 media budget top-up", 400_000)
    _request_as(
        people["agency_perf"],
        made["Paid search and social campaigns"],
        budget,
        "Always-on paid media, next 12 months",
        2_000_000,
    )


def _sister_raci(workspace: Workspace, people: dict[str, Person]) -> None:
    policy_update(actor=None, workspace=workspace, allow_recorded_self_approval=True)
    roles = {r.key: r for r in Role.objects.filter(workspace=workspace)}
    authority_set(
        actor=None,
        workspace=workspace,
        kind=DecisionKind.BUDGET,
        role=roles["cmo"],
        max_amount=Decimal(200_000),
    )
    _activities(workspace, people, SISTER_ACTIVITIES)


def _request_as(person: Person, activity: Activity, kind: str, summary: str, amount: int) -> None:
    approval_request(actor=person.user, activity=activity, kind=kind, summary=summary, amount=Decimal(amount))


def demo_exists() -> bool:
    return Workspace.objects.filter(slug=MAIN_SLUG).exists()


@transaction.atomic
def remove() -> None:
    """Delete the demo workspaces and demo users (used by `opencmo demo --reset`)."""
    Workspace.objects.filter(slug__in=[MAIN_SLUG, SISTER_SLUG]).delete()
    get_user_model().objects.filter(email__regex=r"@(nordlys|fjordfjell|nordlys-studio)\.example$").delete()


@transaction.atomic
def build(
    seed: int = 2026, today: dt.date | None = None, *, light: bool = False, plans: bool = True
) -> list[Workspace]:
    """Build the demo. Plans are placed around `today` (default: the real date) so the demo is current.
    `light` keeps two tasks per campaign, 120 contacts and no budget history; `plans=False` builds only
    the organisation (people, roles, RACI, authority), for tests that bring their own plans."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
    seats = list({s.key: s for s in MAIN_TEAM + SISTER_TEAM}.values())  # agency seats appear in both teams
    names = dict(zip((s.key for s in seats), _names(rng, len(seats)), strict=True))
    users = {s.key: _user(_email(*names[s.key], s.email_domain), *names[s.key]) for s in seats}

    main = workspace_create(
        actor=None,
        name="Nordlys Outdoor AS",
        slug=MAIN_SLUG,
        currency="NOK",
        description="Oslo-based maker of technical outdoor clothing; sells to sports retailers across the "
        "Nordics (B2B) and direct to consumers online (B2C).",
    )
    main_people = _staff_team(main, MAIN_TEAM, users, names)
    _main_raci(main, main_people)
    if plans:
        objectives = build_strategy(main, main_people, seed=seed, today=today)
        campaigns = build_campaigns(main, main_people, objectives, seed=seed, today=today)
        build_work(campaigns, main_people, seed=seed, today=today, per_campaign=2 if light else None)
        if not light:
            budget_demo.build(main, seed=seed, today=today)
            analytics_demo.build(main, seed=seed)
            build_reviews(main, main_people, today)
        build_contacts(main, seed=seed, count=120 if light else 3000)

    sister = workspace_create(
        actor=None,
        name="Nordlys Studio ApS",
        slug=SISTER_SLUG,
        currency="DKK",
        description="Copenhagen design studio and web shop owned by Nordlys; a team of two where the "
        "marketing lead is both CMO and marketing manager.",
    )
    sister_people = _staff_team(sister, SISTER_TEAM, users, names)
    _sister_raci(sister, sister_people)

    _settle_inbox([main, sister])
    get_user_model().objects.create_superuser(
        email=ADMIN_EMAIL, password=DEMO_PASSWORD, first_name="Site", last_name="Admin"
    )
    return [main, sister]


def _settle_inbox(workspaces: list[Workspace], keep: int = 8) -> None:
    """Building two years of history notified everyone hundreds of times; a real inbox would have been
    read along the way. Keep each person's newest few unread."""
    now = timezone.now()
    unread = Notification.objects.filter(workspace__in=workspaces, read_at__isnull=True)
    for user_id in set(unread.values_list("recipient_id", flat=True)):
        newest = (
            unread.filter(recipient_id=user_id).order_by("-created_at", "-pk").values_list("pk", flat=True)
        )
        unread.filter(recipient_id=user_id).exclude(pk__in=list(newest[:keep])).update(read_at=now)


def logins() -> list[tuple[str, str, str]]:
    """(email, hats and title, workspaces) for every demo login, read back from the database."""
    rows: dict[str, tuple[str, list[str]]] = {ADMIN_EMAIL: ("superuser", [])}
    people = (
        Person.objects.filter(workspace__slug__in=[MAIN_SLUG, SISTER_SLUG], user__isnull=False)
        .select_related("workspace", "user")
        .prefetch_related("roles")
        .order_by("pk")
    )
    for person in people:
        hats = " + ".join(r.name for r in person.roles.all())
        rows.setdefault(person.user.email, (f"{hats}: {person.title}", []))[1].append(person.workspace.name)
    return [(email, who, ", ".join(where) or "Django admin only") for email, (who, where) in rows.items()]
