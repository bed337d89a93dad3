"""Segments are saved filters over contacts. A filter is a JSON object; every key is optional and all
given keys must hold (AND):

    q                    text in name, email, job title or company
    stages               ["mql", "sql"]                  lifecycle stage keys (any of)
    owner                person id, or "none"
    countries            ["NO", "SE"]                    (any of, case-insensitive)
    company              company id
    industry             text in the company's industry
    score_min, score_max "40", "90"                      decimal text
    channels             ["paid_search"]                 first-touch channel (any of)
    campaign             campaign id                     first-touch campaign
    conditions           [{"field", "op", "value"}]      attribute conditions (opencmo.crm.conditions)
    behaviour            {"event_kind", "min_count", "within_days", "absent"}
    feedback             "promoter" | "passive" | "detractor" (their latest NPS answer)
    consent              {"purpose": id, "state": "valid" | "missing"}  lawful basis for a purpose
    created_within_days  N

`clean_filters` validates and canonicalises (references must be in the workspace), `contacts` applies
one, `describe` says it in words.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from opencmo.campaigns.models import Campaign
from opencmo.core.models import Workspace
from opencmo.crm import conditions
from opencmo.crm.models import Company, Contact, ContactEvent, Feedback, LifecycleStage, Purpose
from opencmo.crm.values import parse_decimal
from opencmo.org.models import Person

FEEDBACK_GROUPS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
MAX_CONDITIONS = 5


def _ids(workspace: Workspace, model, value, field: str, errors: dict):
    if value in (None, "", []):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        errors[field] = "Not a valid choice."
        return None
    if not model.objects.filter(workspace=workspace, pk=pk).exists():
        errors[field] = "Not a valid choice."
        return None
    return pk


def _texts(value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in (value or []) if str(v).strip()]


def _positive(value, field: str, errors: dict, *, allow_zero: bool = False) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = "Enter a whole number."
        return None
    if number < (0 if allow_zero else 1):
        errors[field] = "Enter a positive number."
        return None
    return number


def clean_filters(workspace: Workspace, raw: dict) -> dict:
    """A validated, canonical filter (empty parts dropped). Raises ValidationError({'filters': [...]})."""
    if not isinstance(raw, dict):
        raise ValidationError({"filters": "A segment filter is a set of named conditions."})
    errors: dict[str, str] = {}
    out: dict = {}
    if str(raw.get("q") or "").strip():
        out["q"] = str(raw["q"]).strip()[:100]
    keys = _texts(raw.get("stages"))
    if keys:
        known = set(LifecycleStage.objects.filter(workspace=workspace).values_list("key", flat=True))
        unknown = [k for k in keys if k not in known]
        if unknown:
            errors["stages"] = f"Unknown stage {', '.join(unknown)}."
        out["stages"] = keys
    if raw.get("owner") == "none":
        out["owner"] = "none"
    elif (owner := _ids(workspace, Person, raw.get("owner"), "owner", errors)) is not None:
        out["owner"] = owner
    if countries := _texts(raw.get("countries")):
        out["countries"] = countries
    if (company := _ids(workspace, Company, raw.get("company"), "company", errors)) is not None:
        out["company"] = company
    if str(raw.get("industry") or "").strip():
        out["industry"] = str(raw["industry"]).strip()[:100]
    for key in ("score_min", "score_max"):
        if raw.get(key) not in (None, ""):
            try:
                out[key] = str(parse_decimal(raw[key]))
            except ValidationError as error:
                errors[key] = " ".join(error.messages)
    if channels := _texts(raw.get("channels")):
        out["channels"] = channels
    if (campaign := _ids(workspace, Campaign, raw.get("campaign"), "campaign", errors)) is not None:
        out["campaign"] = campaign
    cleaned_conditions = []
    for n, condition in enumerate(raw.get("conditions") or [], start=1):
        if not isinstance(condition, dict) or not condition.get("field"):
            continue
        field, op, value = (
            condition.get("field", ""),
            condition.get("op", ""),
            str(condition.get("value") or ""),
        )
        try:
            conditions.validate(workspace, field, op, value)
        except ValidationError as error:
            errors[f"condition {n}"] = " ".join(error.messages)
            continue
        cleaned_conditions.append({"field": field, "op": op, "value": value.strip()})
    if len(cleaned_conditions) > MAX_CONDITIONS:
        errors["conditions"] = f"At most {MAX_CONDITIONS} attribute conditions."
    if cleaned_conditions:
        out["conditions"] = cleaned_conditions
    behaviour = raw.get("behaviour") or {}
    if isinstance(behaviour, dict) and str(behaviour.get("event_kind") or "").strip():
        spec = {"event_kind": str(behaviour["event_kind"]).strip()}
        spec["min_count"] = _positive(behaviour.get("min_count") or 1, "behaviour", errors) or 1
        if (days := _positive(behaviour.get("within_days"), "behaviour", errors)) is not None:
            spec["within_days"] = days
        if behaviour.get("absent"):
            spec["absent"] = True
        out["behaviour"] = spec
    if raw.get("feedback"):
        if raw["feedback"] not in FEEDBACK_GROUPS:
            errors["feedback"] = "Choose promoter, passive or detractor."
        else:
            out["feedback"] = raw["feedback"]
    consent = raw.get("consent") or {}
    if isinstance(consent, dict) and consent.get("purpose") not in (None, ""):
        purpose = _ids(workspace, Purpose, consent.get("purpose"), "consent", errors)
        state = consent.get("state") or "valid"
        if state not in {"valid", "missing"}:
            errors["consent"] = "Choose “has a valid basis” or “has none”."
        if purpose is not None:
            out["consent"] = {"purpose": purpose, "state": state}
    if (days := _positive(raw.get("created_within_days"), "created_within_days", errors)) is not None:
        out["created_within_days"] = days
    if errors:
        raise ValidationError({"filters": [f"{k.replace('_', ' ')}: {v}" for k, v in errors.items()]})
    return out


def _database_part(workspace: Workspace, filters: dict, now: dt.datetime) -> QuerySet[Contact]:
    from opencmo.crm.gdpr import valid_basis_q

    qs = Contact.objects.filter(workspace=workspace)
    if q := filters.get("q"):
        qs = qs.filter(
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
            | Q(job_title__icontains=q)
            | Q(company__name__icontains=q)
        )
    if stages := filters.get("stages"):
        qs = qs.filter(stage__key__in=stages)
    if (owner := filters.get("owner")) is not None:
        qs = qs.filter(owner__isnull=True) if owner == "none" else qs.filter(owner_id=owner)
    if countries := filters.get("countries"):
        match = Q()
        for country in countries:
            match |= Q(country__iexact=country)
        qs = qs.filter(match)
    if (company := filters.get("company")) is not None:
        qs = qs.filter(company_id=company)
    if industry := filters.get("industry"):
        qs = qs.filter(company__industry__icontains=industry)
    if "score_min" in filters:
        qs = qs.filter(score__gte=Decimal(filters["score_min"]))
    if "score_max" in filters:
        qs = qs.filter(score__lte=Decimal(filters["score_max"]))
    if channels := filters.get("channels"):
        match = Q()
        for channel in channels:
            match |= Q(first_touch_channel__iexact=channel)
        qs = qs.filter(match)
    if (campaign := filters.get("campaign")) is not None:
        qs = qs.filter(first_touch_campaign_id=campaign)
    if behaviour := filters.get("behaviour"):
        events = ContactEvent.objects.filter(contact=OuterRef("pk"), kind=behaviour["event_kind"])
        if behaviour.get("within_days"):
            events = events.filter(occurred_at__gte=now - dt.timedelta(days=behaviour["within_days"]))
        counted = events.order_by().values("contact").annotate(n=Count("pk")).values("n")
        qs = qs.annotate(
            _events=Coalesce(
                Subquery(counted, output_field=IntegerField()), Value(0), output_field=IntegerField()
            )
        )
        qs = (
            qs.filter(_events=0)
            if behaviour.get("absent")
            else qs.filter(_events__gte=behaviour["min_count"])
        )
    if group := filters.get("feedback"):
        low, high = FEEDBACK_GROUPS[group]
        latest = Feedback.objects.filter(contact=OuterRef("pk"), kind=Feedback.Kind.NPS).order_by(
            "-received_on", "-pk"
        )
        qs = qs.annotate(_nps=Subquery(latest.values("score")[:1])).filter(_nps__gte=low, _nps__lte=high)
    if consent := filters.get("consent"):
        purpose = Purpose.objects.get(workspace=workspace, pk=consent["purpose"])
        valid = valid_basis_q(purpose, now=now)
        qs = qs.filter(valid) if consent["state"] == "valid" else qs.exclude(valid)
    if days := filters.get("created_within_days"):
        qs = qs.filter(created_at__gte=now - dt.timedelta(days=days))
    return qs


def contacts(workspace: Workspace, filters: dict, *, now: dt.datetime | None = None) -> QuerySet[Contact]:
    """The contacts a (cleaned) filter selects, right now."""
    now = now or timezone.now()
    qs = _database_part(workspace, filters, now)
    rules = filters.get("conditions") or []
    if rules:
        ids = [
            c.pk
            for c in qs.select_related("company", "stage").iterator(chunk_size=2000)
            if all(conditions.evaluate(c, r["field"], r["op"], r["value"]) for r in rules)
        ]
        qs = Contact.objects.filter(workspace=workspace, pk__in=ids)
    return qs.order_by("-score", "last_name", "first_name", "pk")


def describe(workspace: Workspace, filters: dict) -> list[str]:
    """The filter in words, one condition per line."""
    lines = []
    labels = dict(conditions.field_choices(workspace))
    if q := filters.get("q"):
        lines.append(f"Name, email, title or company contains “{q}”")
    if stages := filters.get("stages"):
        names = dict(LifecycleStage.objects.filter(workspace=workspace).values_list("key", "name"))
        lines.append("Stage is " + " or ".join(names.get(k, k) for k in stages))
    if (owner := filters.get("owner")) is not None:
        who = "nobody" if owner == "none" else Person.objects.filter(workspace=workspace, pk=owner).first()
        lines.append(f"Owner is {who}")
    if countries := filters.get("countries"):
        lines.append("Country is " + " or ".join(countries))
    if (company := filters.get("company")) is not None:
        lines.append(f"Company is {Company.objects.filter(workspace=workspace, pk=company).first()}")
    if industry := filters.get("industry"):
        lines.append(f"Industry contains “{industry}”")
    if "score_min" in filters:
        lines.append(f"Score at least {filters['score_min']}")
    if "score_max" in filters:
        lines.append(f"Score at most {filters['score_max']}")
    if channels := filters.get("channels"):
        lines.append("First touch through " + " or ".join(channels))
    if (campaign := filters.get("campaign")) is not None:
        lines.append(
            f"First touch from campaign {Campaign.objects.filter(workspace=workspace, pk=campaign).first()}"
        )
    for rule in filters.get("conditions") or []:
        lines.append(conditions.describe(rule["field"], rule["op"], rule["value"], labels))
    if behaviour := filters.get("behaviour"):
        window = f" in the last {behaviour['within_days']} days" if behaviour.get("within_days") else ""
        if behaviour.get("absent"):
            lines.append(f"No “{behaviour['event_kind']}” event{window}")
        else:
            lines.append(f"At least {behaviour['min_count']} “{behaviour['event_kind']}” event(s){window}")
    if group := filters.get("feedback"):
        lines.append(f"Latest NPS answer: {group}")
    if consent := filters.get("consent"):
        purpose = Purpose.objects.filter(workspace=workspace, pk=consent["purpose"]).first()
        state = "has" if consent["state"] == "valid" else "has no"
        lines.append(f"{state.capitalize()} a valid lawful basis for “{purpose}”")
    if days := filters.get("created_within_days"):
        lines.append(f"Added in the last {days} days")
    return lines or ["Every contact"]
