"""The small condition language shared by fit scoring rules, assignment rules and segment conditions:
`<field> <operator> <value>`, e.g. `job_title contains marketing`, `company.employees gte 50`,
`custom.shoe_size in 42,43`.

Fields are contact attributes, company attributes (`company.…`) and custom fields (`custom.<key>`,
`company.custom.<key>`). Text comparisons ignore case and surrounding spaces; `gte`/`lte` compare numbers
(Decimal) or ISO dates. A condition on a missing value is false except `is_not_set`.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

OPERATORS: dict[str, str] = {
    "equals": "is",
    "not_equals": "is not",
    "contains": "contains",
    "starts_with": "starts with",
    "in": "is one of",
    "gte": "is at least",
    "lte": "is at most",
    "is_set": "is set",
    "is_not_set": "is empty",
}
NO_VALUE = {"is_set", "is_not_set"}

CONTACT_FIELDS: dict[str, str] = {
    "email_domain": "Email domain",
    "job_title": "Job title",
    "country": "Country",
    "city": "City",
    "language": "Language",
    "stage": "Lifecycle stage (key)",
    "lead_status": "Lead status",
    "source": "Source",
    "first_touch_channel": "First-touch channel",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
    "company.name": "Company name",
    "company.industry": "Company industry",
    "company.employees": "Company employees",
    "company.country": "Company country",
    "company.domain": "Company domain",
}


def field_choices(workspace) -> list[tuple[str, str]]:
    """Every field a condition may name in this workspace, with its label."""
    from opencmo.crm.models import CustomField

    choices = list(CONTACT_FIELDS.items())
    for definition in CustomField.objects.filter(workspace=workspace):
        prefix = "custom." if definition.entity == CustomField.Entity.CONTACT else "company.custom."
        owner = "" if definition.entity == CustomField.Entity.CONTACT else "Company "
        choices.append((f"{prefix}{definition.key}", f"{owner}{definition.label} (custom)"))
    return choices


def field_label(field: str, labels: dict[str, str] | None = None) -> str:
    labels = labels or CONTACT_FIELDS
    return labels.get(field) or field


def value_of(contact, field: str):
    """The value of `field` for a contact (None when missing)."""
    if field == "email_domain":
        return contact.email.rsplit("@", 1)[-1] if "@" in (contact.email or "") else None
    if field == "stage":
        return contact.stage.key if contact.stage_id else None
    if field.startswith("custom."):
        return (contact.custom or {}).get(field.removeprefix("custom."))
    if field.startswith("company."):
        company = contact.company
        if company is None:
            return None
        rest = field.removeprefix("company.")
        if rest.startswith("custom."):
            return (company.custom or {}).get(rest.removeprefix("custom."))
        return (
            getattr(company, rest, None)
            if rest in {"name", "industry", "employees", "country", "domain"}
            else None
        )
    if field in CONTACT_FIELDS:
        return getattr(contact, field, None)
    return None


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _text(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip().casefold()


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def matches(actual, operator: str, target: str) -> bool:
    """Whether a value satisfies `operator target`."""
    if operator == "is_set":
        return not _is_missing(actual)
    if operator == "is_not_set":
        return _is_missing(actual)
    if _is_missing(actual):
        return False
    if operator in {"gte", "lte"}:
        a, b = _number(actual), _number(target)
        if a is None or b is None:
            a, b = _date(actual), _date(target)
        if a is None or b is None:
            return False
        return a >= b if operator == "gte" else a <= b
    if operator in {"equals", "not_equals"}:
        a, b = _number(actual), _number(target)
        same = (a == b) if a is not None and b is not None else _text(actual) == _text(target)
        return same if operator == "equals" else not same
    if operator == "contains":
        return _text(target) in _text(actual)
    if operator == "starts_with":
        return _text(actual).startswith(_text(target))
    if operator == "in":
        options = {_text(part) for part in str(target).split(",") if part.strip()}
        return _text(actual) in options
    return False


def evaluate(contact, field: str, operator: str, target: str) -> bool:
    return matches(value_of(contact, field), operator, target)


def validate(workspace, field: str, operator: str, value: str) -> None:
    """Raise ValidationError (by field) unless the condition can be evaluated."""
    errors = {}
    if field not in dict(field_choices(workspace)):
        errors["field"] = f"Unknown field “{field}”."
    if operator not in OPERATORS:
        errors["operator"] = f"Unknown operator “{operator}”; use one of {', '.join(OPERATORS)}."
    elif operator not in NO_VALUE and not str(value).strip():
        errors["value"] = "Give a value to compare with."
    elif operator in {"gte", "lte"} and _number(value) is None and _date(value) is None:
        errors["value"] = "“at least” and “at most” compare numbers or dates (YYYY-MM-DD)."
    if errors:
        raise ValidationError(errors)


def describe(field: str, operator: str, value: str, labels: dict[str, str] | None = None) -> str:
    text = f"{field_label(field, labels)} {OPERATORS.get(operator, operator)}"
    return text if operator in NO_VALUE else f"{text} “{value}”"
