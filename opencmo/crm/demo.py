"""Demo customers: a few thousand Nordic contacts and their companies across the lifecycle, with first
touches, activity, scores, consents and other lawful bases, hand-offs to sales (some late), and NPS/CSAT
feedback. Deterministic for a seed (dates are relative to today) and fast: everything goes in with
bulk_create, scored in memory with the same rules the app uses.

    from opencmo.crm.demo import build_contacts
    build_contacts(workspace, seed=2026, count=3000)
"""

import datetime as dt
import random
import unicodedata

from django.db import transaction
from django.utils import timezone

from opencmo.campaigns.models import Campaign
from opencmo.core import audit
from opencmo.core.models import Workspace
from opencmo.crm import access, conditions, scoring, services
from opencmo.crm.models import (
    Company,
    ConsentRecord,
    Contact,
    ContactBasis,
    ContactEvent,
    ContactSegment,
    Feedback,
    Handoff,
    LawfulBasis,
    LifecycleStage,
    Purpose,
    ScoringRule,
    StageTransition,
)

FIRST = {
    "NO": [
        "Ingrid",
        "Lars",
        "Sigrid",
        "Henrik",
        "Astrid",
        "Magnus",
        "Kari",
        "Eirik",
        "Solveig",
        "Ola",
        "Nora",
        "Sindre",
        "Marte",
        "Håkon",
        "Ragnhild",
        "Øystein",
        "Tuva",
        "Even",
        "Synnøve",
        "Jørgen",
    ],
    "SE": [
        "Anna",
        "Erik",
        "Elin",
        "Johan",
        "Maja",
        "Oskar",
        "Karin",
        "Nils",
        "Linnea",
        "Gustav",
        "Ebba",
        "Björn",
        "Saga",
        "Axel",
        "Klara",
        "Måns",
    ],
    "DK": [
        "Mette",
        "Rasmus",
        "Freja",
        "Mads",
        "Ida",
        "Søren",
        "Camilla",
        "Anders",
        "Signe",
        "Jesper",
        "Line",
        "Troels",
    ],
    "FI": ["Aino", "Mikko", "Emilia", "Juha", "Venla", "Antti", "Sanna", "Eetu", "Helmi", "Ville"],
}
LAST = {
    "NO": [
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
        "Hansen",
        "Johansen",
        "Sørensen",
        "Aas",
        "Kristiansen",
        "Ødegård",
        "Hovland",
        "Vik",
        "Brekke",
        "Næss",
    ],
    "SE": [
        "Andersson",
        "Lindqvist",
        "Nyström",
        "Holm",
        "Berglund",
        "Sjöberg",
        "Lundgren",
        "Åkesson",
        "Ekström",
        "Forsberg",
    ],
    "DK": ["Jensen", "Nielsen", "Pedersen", "Christensen", "Mortensen", "Kjær", "Møller", "Frederiksen"],
    "FI": ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Heikkinen", "Laine", "Järvinen"],
}
CITIES = {
    "NO": ["Oslo", "Bergen", "Trondheim", "Tromsø", "Stavanger", "Bodø", "Lillehammer", "Ålesund"],
    "SE": ["Stockholm", "Göteborg", "Umeå", "Östersund", "Kiruna", "Malmö"],
    "DK": ["København", "Aarhus", "Odense", "Aalborg"],
    "FI": ["Helsinki", "Tampere", "Rovaniemi", "Oulu"],
}
LANGUAGE = {"NO": "nb", "SE": "sv", "DK": "da", "FI": "fi"}
LEGAL_FORM = {"NO": "AS", "SE": "AB", "DK": "ApS", "FI": "Oy"}
DIALLING = {"NO": 47, "SE": 46, "DK": 45, "FI": 358}
COUNTRY_WEIGHTS = [("NO", 55), ("SE", 22), ("DK", 15), ("FI", 8)]
CONSUMER_DOMAINS = [
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "online.no",
    "telia.com",
    "live.se",
    "yahoo.com",
]
COMPANY_PREFIX = ["Sport", "Fjell", "Friluft", "Nord", "Tur", "Vinter", "Kyst", "Villmark", "Arktis", "Skog"]
COMPANY_KIND = ["huset", "sport", "butikken", "utstyr", "magasinet", "kompaniet"]
INDUSTRIES = [
    "Sports retail",
    "Outdoor retail",
    "Department store",
    "E-commerce",
    "Tourism",
    "Corporate wear",
]
TITLES_B2B = [
    "Purchasing Manager",
    "Head of Buying",
    "Store Manager",
    "Category Manager Outdoor",
    "Marketing Manager",
    "E-commerce Manager",
    "CEO",
    "Head of Marketing",
    "Sales Assistant",
    "Buyer",
]
STAGE_WEIGHTS = [
    ("subscriber", 30),
    ("lead", 24),
    ("mql", 7),
    ("sql", 6),
    ("opportunity", 5),
    ("customer", 21),
    ("evangelist", 4),
    ("other", 3),
]
PATH = ["subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist"]
CHANNELS = [
    ("paid_search", "google", "cpc", 20),
    ("paid_social", "facebook", "paid_social", 16),
    ("organic_social", "instagram", "social", 10),
    ("seo_content", "google", "organic", 22),
    ("email", "newsletter", "email", 10),
    ("events", "friluftsmessen", "event", 8),
    ("partnerships", "partner", "referral", 6),
    ("display", "gdn", "display", 8),
]
EVENTS = [
    ("email_open", 30),
    ("email_click", 18),
    ("page_view", 25),
    ("pricing_visit", 8),
    ("content_download", 7),
    ("form_submit", 5),
    ("webinar_attended", 3),
    ("event_attended", 2),
    ("demo_request", 1),
    ("purchase", 4),
]
COMMENTS_GOOD = [
    "Jakken holdt meg tørr en hel uke på Hardangervidda.",
    "Rask levering og god kundeservice.",
    "Best fit I have found for long hikes.",
    "Kvaliteten er verdt prisen.",
    "Bytte av størrelse gikk knirkefritt.",
]
COMMENTS_BAD = [
    "Glidelåsen røk etter to turer.",
    "Levering tok nesten to uker.",
    "Størrelsene er små i forhold til tabellen.",
    "Hard to reach customer service by phone.",
]
REJECT = [r for r, _ in Handoff.RejectReason.choices if r != "other"]


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _ascii(text: str) -> str:
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _phone(rng: random.Random, country: str) -> str:
    return f"+{DIALLING[country]} {rng.randint(400, 999)} {rng.randint(10, 99)} {rng.randint(100, 999)}"


def _at(today: dt.date, days_ago: float, rng: random.Random) -> dt.datetime:
    moment = dt.datetime.combine(today, dt.time(8)) - dt.timedelta(days=days_ago, minutes=rng.randint(0, 600))
    return timezone.make_aware(moment)


@transaction.atomic
def build_contacts(workspace: Workspace, *, seed: int = 2026, count: int = 3000) -> dict:
    """Generate `count` contacts in `workspace` (see the module docstring). Returns counts by kind."""
    rng = random.Random(seed)
    crm = services.ensure_defaults(workspace)
    today = timezone.localdate()
    now = timezone.now()
    stages = {s.key: s for s in LifecycleStage.objects.filter(workspace=workspace)}
    purposes = {p.key: p for p in Purpose.objects.filter(workspace=workspace)}
    campaigns = list(Campaign.objects.filter(workspace=workspace).order_by("pk"))
    sales = list(access.sales_people(workspace))

    taken = set(Company.objects.filter(workspace=workspace).values_list("name", flat=True))
    companies = []
    for _ in range(max(count // 40, 5)):
        prefix, kind = rng.choice(COMPANY_PREFIX), rng.choice(COMPANY_KIND)
        country = _weighted(rng, COUNTRY_WEIGHTS)
        city = rng.choice(CITIES[country])
        name = f"{prefix}{kind} {city} {LEGAL_FORM[country]}"
        if name in taken:
            continue
        taken.add(name)
        companies.append(
            Company(
                workspace=workspace,
                name=name,
                domain=f"{_ascii(prefix + kind)}-{_ascii(city)}.example",
                industry=rng.choice(INDUSTRIES),
                employees=rng.choice([4, 8, 12, 25, 40, 60, 120, 250, 600]),
                country=country,
                city=city,
                owner=rng.choice(sales) if sales and rng.random() < 0.6 else None,
            )
        )
    Company.objects.bulk_create(companies, batch_size=500)

    contacts: list[Contact] = []
    plans: list[dict] = []
    used_emails: set[str] = set(Contact.objects.filter(workspace=workspace).values_list("email", flat=True))
    for n in range(count):
        country = _weighted(rng, COUNTRY_WEIGHTS)
        first, last = rng.choice(FIRST[country]), rng.choice(LAST[country])
        b2b = rng.random() < 0.45
        company = rng.choice(companies) if b2b and companies else None
        domain = company.domain if company else rng.choice(CONSUMER_DOMAINS)
        local = f"{_ascii(first)}.{_ascii(last)}"
        email = f"{local}@{domain}"
        if email in used_emails:
            email = f"{local}{n}@{domain}"
        used_emails.add(email)
        final = _weighted(rng, STAGE_WEIGHTS)
        age_days = rng.uniform(1, 730) if rng.random() > 0.03 else rng.uniform(1150, 1500)
        created = _at(today, age_days, rng)
        channel, utm_source, utm_medium, _w = _weighted(rng, [(c, c[3]) for c in CHANNELS])
        campaign = rng.choice(campaigns) if campaigns and rng.random() < 0.4 else None
        contacts.append(
            Contact(
                workspace=workspace,
                email=email,
                first_name=first,
                last_name=last,
                phone=_phone(rng, country) if rng.random() < 0.6 else "",
                job_title=rng.choice(TITLES_B2B) if b2b else "",
                company=company,
                country=country,
                city=company.city if company else rng.choice(CITIES[country]),
                language=LANGUAGE[country],
                stage=stages[final],
                stage_changed_at=created,
                owner=rng.choice(sales) if sales and final in {"sql", "opportunity", "customer"} else None,
                source=rng.choice(["form", "import", "event", "checkout", "newsletter signup"]),
                first_touch_channel=channel,
                first_touch_campaign=campaign,
                utm_source=utm_source,
                utm_medium=utm_medium,
                utm_campaign=campaign.code if campaign else "",
                first_touch_at=created - dt.timedelta(days=rng.randint(0, 20)),
                anonymous_ids=[f"GA1.1.{rng.randint(10**8, 10**9)}.{int(created.timestamp())}"]
                if rng.random() < 0.5
                else [],
                last_activity_at=created,
            )
        )
        plans.append({"final": final, "created": created, "age": age_days, "b2b": b2b})

    transitions, events, consents, bases, feedback, handoffs = [], [], [], [], [], []
    turn = 0
    for contact, plan in zip(contacts, plans, strict=True):
        created, final, age = plan["created"], plan["final"], plan["age"]
        if final == "other":
            steps = ["lead", "other"]
        else:
            start = "subscriber" if rng.random() < 0.55 else "lead"
            steps = (
                PATH[PATH.index(start) : PATH.index(final) + 1]
                if final in PATH[PATH.index(start) :]
                else [final]
            )
        moment, previous = created, None
        span = max(age - 1, 1)
        gap = span / (len(steps) + 1)
        decided = None  # when sales accepted the MQL: the SQL step happens then

        def step(key: str, at: dt.datetime, reason: str, note: str = "", *, contact=contact, previous=None):
            transitions.append(
                StageTransition(
                    workspace=workspace,
                    contact=contact,
                    from_stage=stages[previous] if previous else None,
                    to_stage=stages[key],
                    at=at,
                    reason=reason,
                    note=note,
                )
            )

        for i, key in enumerate(steps):
            if i:
                moment = moment + dt.timedelta(days=rng.uniform(0.2, gap))
            if key == "mql" and final == "mql":  # waiting for sales right now
                moment = max(moment, now - dt.timedelta(hours=rng.choice([2, 5, 10, 20, 30, 40])))
            if key == "sql" and decided is not None:
                moment = decided
            moment = min(moment, now)
            reason = (
                StageTransition.Reason.CREATED
                if i == 0
                else {"mql": StageTransition.Reason.SCORE, "sql": StageTransition.Reason.ACCEPTED}.get(
                    key, StageTransition.Reason.MANUAL
                )
            )
            step(key, moment, reason, previous=previous)
            if key == "mql" and sales:
                person = sales[turn % len(sales)]
                turn += 1
                handoff = Handoff(
                    workspace=workspace,
                    contact=contact,
                    assigned_to=person,
                    assigned_at=moment,
                    due_at=moment + dt.timedelta(hours=crm.sla_hours),
                    assignment_note="Round robin",
                    score_at_handoff=crm.mql_threshold + rng.randint(0, 45),
                )
                if final != "mql":
                    decided = min(moment + dt.timedelta(hours=rng.choice([1, 3, 6, 12, 20, 30, 52])), now)
                    handoff.status, handoff.decided_by, handoff.decided_at = (
                        Handoff.Status.ACCEPTED,
                        person,
                        decided,
                    )
                handoffs.append(handoff)
            previous = key
        # Some leads were handed to sales once and sent back (rejected with a reason).
        if final == "lead" and sales and rng.random() < 0.12:
            handed_at = moment + dt.timedelta(days=rng.uniform(0.5, 20))
            back_at = handed_at + dt.timedelta(hours=rng.choice([2, 8, 30]))
            if back_at < now:
                person = sales[turn % len(sales)]
                turn += 1
                reason_key = rng.choice(REJECT)
                step("mql", handed_at, StageTransition.Reason.SCORE, previous="lead")
                label = Handoff.RejectReason(reason_key).label
                step("lead", back_at, StageTransition.Reason.REJECTED, label, previous="mql")
                moment = back_at
                handoffs.append(
                    Handoff(
                        workspace=workspace,
                        contact=contact,
                        assigned_to=person,
                        assigned_at=handed_at,
                        due_at=handed_at + dt.timedelta(hours=crm.sla_hours),
                        assignment_note="Round robin",
                        score_at_handoff=crm.mql_threshold + rng.randint(0, 20),
                        status=Handoff.Status.REJECTED,
                        decided_by=person,
                        decided_at=back_at,
                        reject_reason=reason_key,
                    )
                )
        contact.stage_changed_at = moment
        # Activity in the last six months for the engaged; nothing for the long-inactive.
        engaged = age < 1000 and rng.random() < {"subscriber": 0.5, "other": 0.2}.get(final, 0.85)
        latest = created
        if engaged:
            for _ in range(rng.randint(1, 14 if final in {"mql", "sql", "opportunity"} else 8)):
                when = _at(today, rng.uniform(0, min(age, 180)), rng)
                kind = _weighted(rng, EVENTS)
                events.append(
                    ContactEvent(
                        workspace=workspace,
                        contact=contact,
                        kind=kind,
                        occurred_at=when,
                        campaign=rng.choice(campaigns) if campaigns and rng.random() < 0.3 else None,
                        source="demo",
                    )
                )
                latest = max(latest, when)
        if final == "mql":  # they earned it: make sure the breakdown shows why
            for kind in ("demo_request", "pricing_visit", "form_submit"):
                when = _at(today, rng.uniform(0.5, 10), rng)
                events.append(
                    ContactEvent(
                        workspace=workspace, contact=contact, kind=kind, occurred_at=when, source="demo"
                    )
                )
                latest = max(latest, when)
        # Consent and other lawful bases.
        if final not in {"other"} and rng.random() < 0.72:
            given = created + dt.timedelta(minutes=2)
            withdrawn = _at(today, rng.uniform(1, max(age - 1, 1.5)), rng) if rng.random() < 0.08 else None
            consents.append(
                ConsentRecord(
                    workspace=workspace,
                    contact=contact,
                    purpose=purposes["newsletter"],
                    given_at=given,
                    source=rng.choice(["web form", "checkout", "event sign-up", "newsletter pop-up"]),
                    wording=purposes["newsletter"].consent_wording,
                    evidence=f"form-{rng.randint(1, 9)}/doi-{rng.randint(10000, 99999)}",
                    withdrawn_at=withdrawn if withdrawn and withdrawn > given else None,
                    withdrawal_source="unsubscribe link" if withdrawn and withdrawn > given else "",
                )
            )
        if rng.random() < 0.25:
            consents.append(
                ConsentRecord(
                    workspace=workspace,
                    contact=contact,
                    purpose=purposes["ad_audiences"],
                    given_at=created + dt.timedelta(minutes=3),
                    source="web form",
                    wording=purposes["ad_audiences"].consent_wording,
                )
            )
        if final in {"customer", "evangelist"}:
            bases.append(
                ContactBasis(
                    workspace=workspace,
                    contact=contact,
                    purpose=purposes["customer_relationship"],
                    basis=LawfulBasis.CONTRACT,
                    valid_from=created.date(),
                    note=f"Order {rng.randint(100000, 999999)}",
                )
            )
            bases.append(
                ContactBasis(
                    workspace=workspace,
                    contact=contact,
                    purpose=purposes["feedback_surveys"],
                    basis=LawfulBasis.LEGITIMATE_INTEREST,
                    note="LIA 2025-02",
                )
            )
        if plan["b2b"] and final in {"lead", "mql", "sql", "opportunity"}:
            bases.append(
                ContactBasis(
                    workspace=workspace,
                    contact=contact,
                    purpose=purposes["sales_followup"],
                    basis=LawfulBasis.LEGITIMATE_INTEREST,
                    note="LIA 2025-01: B2B follow-up",
                    objected_at=_at(today, 5, rng) if rng.random() < 0.03 else None,
                )
            )
        # Feedback from customers (and a few others).
        if (final in {"customer", "evangelist"} and rng.random() < 0.45) or rng.random() < 0.03:
            for _ in range(rng.randint(1, 2)):
                received = today - dt.timedelta(days=int(rng.uniform(0, min(age, 540))))
                if rng.random() < 0.75:
                    score = (
                        rng.choice([9, 10])
                        if final == "evangelist"
                        else _weighted(
                            rng,
                            [
                                (10, 18),
                                (9, 22),
                                (8, 18),
                                (7, 14),
                                (6, 8),
                                (5, 6),
                                (4, 4),
                                (3, 4),
                                (2, 3),
                                (1, 2),
                                (0, 1),
                            ],
                        )
                    )
                    kind = Feedback.Kind.NPS
                    good = score >= 9
                else:
                    score = _weighted(rng, [(5, 35), (4, 35), (3, 15), (2, 10), (1, 5)])
                    kind = Feedback.Kind.CSAT
                    good = score >= 4
                comment = rng.choice(COMMENTS_GOOD if good else COMMENTS_BAD) if rng.random() < 0.4 else ""
                feedback.append(
                    Feedback(
                        workspace=workspace,
                        contact=contact,
                        kind=kind,
                        score=score,
                        received_on=received,
                        comment=comment,
                        campaign=rng.choice(campaigns) if campaigns and rng.random() < 0.3 else None,
                        source=Feedback.Source.IMPORT,
                    )
                )
                latest = max(latest, timezone.make_aware(dt.datetime.combine(received, dt.time(12))))
        contact.last_activity_at = min(latest, now)

    # Scores, computed exactly as the app does (promotion to MQL is not re-run: the demo decides stages).
    rules = list(ScoringRule.objects.filter(workspace=workspace, is_active=True))
    labels = dict(conditions.field_choices(workspace))
    by_contact: dict[int, list] = {}
    for event in events:
        by_contact.setdefault(id(event.contact), []).append(event)
    for contact in contacts:
        result = scoring.compute(
            contact,
            rules,
            by_contact.get(id(contact), []),
            now=now,
            half_life_days=crm.half_life_days,
            labels=labels,
        )
        contact.score, contact.fit_score = result.total, result.fit_total
        contact.engagement_score, contact.scored_at = result.engagement_total, now

    # Contacts first (they get their ids), then everything that points at them.
    Contact.objects.bulk_create(contacts, batch_size=1000)
    for model, rows in (
        (StageTransition, transitions),
        (ContactEvent, events),
        (ConsentRecord, consents),
        (ContactBasis, bases),
        (Feedback, feedback),
        (Handoff, handoffs),
    ):
        model.objects.bulk_create(rows, batch_size=2000)
    if not ContactSegment.objects.filter(workspace=workspace).exists():
        ContactSegment.objects.bulk_create(
            [
                ContactSegment(
                    workspace=workspace,
                    name="Newsletter: engaged Norwegians",
                    description="Norwegian subscribers and leads who clicked an email in the last 90 days.",
                    filters={
                        "stages": ["subscriber", "lead"],
                        "countries": ["NO"],
                        "behaviour": {"event_kind": "email_click", "min_count": 1, "within_days": 90},
                    },
                    purpose=purposes["newsletter"],
                ),
                ContactSegment(
                    workspace=workspace,
                    name="Hot B2B leads",
                    description="Leads and MQLs at retailers with 50+ employees scoring 40 or more.",
                    filters={
                        "stages": ["lead", "mql"],
                        "score_min": "40",
                        "conditions": [{"field": "company.employees", "op": "gte", "value": "50"}],
                    },
                    purpose=purposes["sales_followup"],
                ),
                ContactSegment(
                    workspace=workspace,
                    name="Detractors to win back",
                    description="Customers whose latest NPS answer was 0-6.",
                    filters={"stages": ["customer"], "feedback": "detractor"},
                    purpose=purposes["feedback_surveys"],
                ),
            ]
        )
    counts = {
        "contacts": len(contacts),
        "companies": len(companies),
        "transitions": len(transitions),
        "events": len(events),
        "consents": len(consents),
        "bases": len(bases),
        "feedback": len(feedback),
        "handoffs": len(handoffs),
    }
    audit.record(
        actor=None,
        workspace=workspace,
        action="create",
        obj=crm,
        changes={"demo_customers": [None, counts]},
    )
    return counts
