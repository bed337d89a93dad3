"""Parsing and validation of values typed by people or read from files: dates, numbers, email addresses,
yes/no answers and custom-field values checked against the workspace's field definitions."""

import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

YES = {
    "yes",
    "y",
    "true",
    "1",
    "ja",
    "j",
    "x",
    "opted in",
    "opt-in",
    "opt in",
    "subscribed",
    "granted",
    "given",
}
NO = {"no", "n", "false", "0", "nei", "nej", "opted out", "opt-out", "opt out", "unsubscribed", "withdrawn"}


def normalise_email(email: str) -> str:
    """The one spelling of an address we compare and hash: NFKC, trimmed, lower-case."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def clean_email(email: str) -> str:
    email = normalise_email(email)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(f"“{email}” is not a valid email address.") from None
    return email


def parse_date(value) -> dt.date:
    """ISO (2026-03-01, also with a time), Nordic (01.03.2026) or 01/03/2026 (day first)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"“{text}” is not a date (use YYYY-MM-DD).")


def parse_datetime(value) -> dt.datetime:
    """An aware datetime from an ISO timestamp or a date (taken as midnight, local time)."""
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    text = str(value).strip()
    if len(text) > 10:
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"“{text}” is not a date and time (use YYYY-MM-DD HH:MM).") from None
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    day = parse_date(text)
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def parse_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValidationError(f"“{value}” is not a number.")
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." in text:  # 1.234,56 or 1,234.56: the last separator is the decimal one
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    else:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"“{value}” is not a number.") from None
    if not number.is_finite():
        raise ValidationError(f"“{value}” is not a number.")
    return number


def parse_yes_no(value) -> bool | None:
    """True, False, or None for an empty cell; anything else is an error."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValidationError(f"“{value}” is neither yes nor no.")


def number_text(value: Decimal) -> str:
    """42.50 -> '42.5', 1E+2 -> '100': the canonical text a number is stored as in custom JSON."""
    text = format(value.normalize(), "f")
    return text


def clean_custom(workspace, entity: str, values: dict) -> dict:
    """Validate custom-field values against the workspace's definitions; return them in canonical form
    (text, numbers as exact decimal text, dates as ISO, choices spelled as defined). Empty values are
    dropped. Raises ValidationError({'custom': [...]}) listing every problem."""
    from opencmo.crm.models import CustomField

    definitions = {d.key: d for d in CustomField.objects.filter(workspace=workspace, entity=entity)}
    errors: list[str] = []
    cleaned: dict = {}
    for key, raw in (values or {}).items():
        definition = definitions.get(key)
        if definition is None:
            errors.append(f"There is no custom field “{key}”.")
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        label = definition.label
        try:
            if definition.type == CustomField.Type.NUMBER:
                cleaned[key] = number_text(parse_decimal(raw))
            elif definition.type == CustomField.Type.DATE:
                cleaned[key] = parse_date(raw).isoformat()
            elif definition.type == CustomField.Type.CHOICE:
                options = {str(c).strip().lower(): c for c in definition.choices}
                found = options.get(str(raw).strip().lower())
                if found is None:
                    raise ValidationError(f"“{raw}” is not one of {', '.join(map(str, definition.choices))}.")
                cleaned[key] = found
            else:
                text = str(raw).strip()
                if len(text) > 500:
                    raise ValidationError("at most 500 characters.")
                cleaned[key] = text
        except ValidationError as error:
            errors.append(f"{label}: {' '.join(error.messages)}")
    for key, definition in definitions.items():
        if definition.required and key not in cleaned:
            errors.append(f"{definition.label} is required.")
    if errors:
        raise ValidationError({"custom": errors})
    return cleaned
