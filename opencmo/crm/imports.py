"""Contact and feedback imports: validated as a whole, written all-or-nothing, every problem reported with
its row and column.

`contacts_import_rows` takes parsed rows (dicts of column → cell text), so the CSV upload here and the
data-import module's XLSX reader share one engine. Columns are matched by name, ignoring case, spaces,
dashes and underscores; HubSpot and Salesforce export names are understood:

- identity: email, first name, last name, phone, job title, company, country, city, language, notes,
  owner (a colleague's email or name), record/lead id (external id);
- lifecycle: `lifecycle stage` (HubSpot: subscriber, lead, marketingqualifiedlead,
  salesqualifiedlead, opportunity, customer, evangelist, other — or our stage names and keys), else
  `lead status` (Salesforce: Open - Not Contacted, Working - Contacted, Closed - Converted, Closed - Not
  Converted, Qualified, Unqualified, Nurturing…) mapped to a stage;
- source: source, channel, utm_source, utm_medium, utm_campaign, campaign (our campaign code or name);
- consent: `consent:<purpose key>` (yes/no; yes needs the wording shown: `consent_wording`, else the
  purpose's standard wording), `consent_date`, `consent_source`, `consent_evidence`;
  `basis:<purpose key>` (contract, legitimate interest, …); `unsubscribed` / `email opt out` withdraws
  every consent;
- custom fields: `custom:<key>`, or the field's key or label.

A row matches an existing contact by email (else by external id) and updates it; empty cells leave
values as they are. Suppressed (erased) addresses are refused.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opencmo.campaigns.models import Campaign
from opencmo.core.models import Workspace
from opencmo.core.notifications import notify
from opencmo.crm import access, gdpr, services
from opencmo.crm.models import (
    Company,
    Contact,
    CustomField,
    Feedback,
    Handoff,
    LawfulBasis,
    LifecycleStage,
    Purpose,
    StageTransition,
)
from opencmo.crm.values import clean_custom, clean_email, parse_date, parse_datetime, parse_yes_no
from opencmo.org.models import Person

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000

HUBSPOT_STAGES = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "mql": "mql",
    "salesqualifiedlead": "sql",
    "sql": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "evangelist",
    "ambassador": "evangelist",
    "other": "other",
}
SALESFORCE_STATUS = {
    "opennotcontacted": "lead",
    "open": "lead",
    "new": "lead",
    "nurturing": "lead",
    "nurture": "lead",
    "recycled": "lead",
    "workingcontacted": "sql",
    "working": "sql",
    "contacted": "sql",
    "marketingqualified": "mql",
    "salesaccepted": "sql",
    "qualified": "sql",
    "closedconverted": "opportunity",
    "converted": "opportunity",
    "closednotconverted": "other",
    "unqualified": "other",
    "disqualified": "other",
}
BASIS_WORDS = {
    "consent": LawfulBasis.CONSENT,
    "contract": LawfulBasis.CONTRACT,
    "legitimateinterest": LawfulBasis.LEGITIMATE_INTEREST,
    "legitimateinterests": LawfulBasis.LEGITIMATE_INTEREST,
    "li": LawfulBasis.LEGITIMATE_INTEREST,
    "legalobligation": LawfulBasis.LEGAL_OBLIGATION,
    "vitalinterest": LawfulBasis.VITAL_INTEREST,
    "vitalinterests": LawfulBasis.VITAL_INTEREST,
    "publictask": LawfulBasis.PUBLIC_TASK,
}
ALIASES = {
    "email": {"email", "emailaddress", "email1", "primaryemail"},
    "first_name": {"firstname", "first", "givenname", "fornavn"},
    "last_name": {"lastname", "last", "surname", "familyname", "etternavn"},
    "phone": {"phone", "phonenumber", "mobile", "mobilephone", "mobilephonenumber", "telephone"},
    "job_title": {"jobtitle", "title", "position", "role"},
    "company": {
        "company",
        "companyname",
        "account",
        "accountname",
        "associatedcompany",
        "organisation",
        "organization",
    },
    "country": {"country", "countryregion"},
    "city": {"city", "town"},
    "language": {"language", "preferredlanguage"},
    "notes": {"notes", "description", "note"},
    "owner": {"owner", "contactowner", "leadowner", "owneremail", "hubspotowner"},
    "external_id": {"recordid", "externalid", "contactid", "leadid", "hubspotid", "salesforceid", "id"},
    "stage": {"lifecyclestage", "stage", "lifecycle"},
    "lead_status": {"leadstatus", "hsleadstatus", "status"},
    "source": {"source", "leadsource", "originalsource"},
    "first_touch_channel": {"channel", "firsttouchchannel", "originalchannel"},
    "utm_source": {"utmsource"},
    "utm_medium": {"utmmedium"},
    "utm_campaign": {"utmcampaign"},
    "campaign": {"campaign", "campaigncode", "firsttouchcampaign"},
    "consent_date": {"consentdate", "consentgivenat", "consentat", "optindate"},
    "consent_source": {"consentsource", "optinsource"},
    "consent_wording": {"consentwording", "consenttext", "optinwording", "optintext"},
    "consent_evidence": {"consentevidence", "optinevidence", "doubleoptinid"},
    "unsubscribed": {
        "unsubscribed",
        "unsubscribedfromallemail",
        "emailoptout",
        "hasoptedoutofemail",
        "optedout",
    },
}
IDENTITY = ("email", "first_name", "last_name", "phone", "job_title", "country", "city", "language", "notes")


def squash(text: str) -> str:
    """Header matching: 'Lifecycle Stage', 'lifecycle_stage' and 'lifecyclestage' are the same column."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column “{self.column}”" if self.column else "")
        return f"{where[0].upper()}{where[1:]}: {self.message}"


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    consents: int = 0
    withdrawals: int = 0
    bases: int = 0
    companies: int = 0
    handoffs: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verb = "Would create" if self.dry_run else "Created"
        return (
            f"{verb} {self.created} and {'would update' if self.dry_run else 'updated'} {self.updated} "
            f"contacts; {self.consents} consents recorded, {self.withdrawals} withdrawn, {self.bases} lawful "
            f"bases, {self.companies} new companies, {self.handoffs} MQLs handed to sales."
        )


def read_table(data: bytes) -> list[dict[str, str]]:
    """Rows (dicts keyed by the header) of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM or
    Windows-1252; comma, semicolon or tab separated."""
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError("This is not a text (CSV) file.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError("The file is empty.") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise ValidationError("The first line must name the columns.")
    seen: dict[str, str] = {}
    for name in header:
        if name and squash(name) in seen:
            raise ValidationError(f"The column “{name}” appears twice.")
        seen[squash(name)] = name
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationError(f"More than {MAX_ROWS} rows; split the file.")
        rows.append({header[i]: cells[i] if i < len(cells) else "" for i in range(len(header)) if header[i]})
    if not rows:
        raise ValidationError("The file has a header but no rows.")
    return rows


@dataclass
class _Columns:
    fields: dict[str, str]  # our field -> column name
    consent: dict[int, str]  # purpose id -> column
    basis: dict[int, str]
    custom: dict[str, str]  # custom key -> column
    ignored: list[str]


def _columns(workspace: Workspace, header: list[str]) -> _Columns:
    purposes = {p.key: p for p in Purpose.objects.filter(workspace=workspace)}
    by_name = {squash(p.name): p for p in purposes.values()}
    customs = {}
    for definition in CustomField.objects.filter(workspace=workspace, entity=CustomField.Entity.CONTACT):
        customs[squash(definition.key)] = definition.key
        customs[squash(definition.label)] = definition.key
    found = _Columns({}, {}, {}, {}, [])
    for column in header:
        name = column.strip()
        lowered = name.lower()
        squashed = squash(name)
        purpose = None
        for prefix in ("consent:", "consent_", "consent "):
            if lowered.startswith(prefix):
                rest = name[len(prefix) :].strip()
                purpose = purposes.get(rest) or purposes.get(rest.lower()) or by_name.get(squash(rest))
                if purpose is not None:
                    found.consent[purpose.pk] = column
                break
        if purpose is not None:
            continue
        matched_basis = False
        for prefix in ("basis:", "basis_", "lawful basis:", "lawful_basis_"):
            if lowered.startswith(prefix):
                rest = name[len(prefix) :].strip()
                target = purposes.get(rest) or purposes.get(rest.lower()) or by_name.get(squash(rest))
                if target is not None:
                    found.basis[target.pk] = column
                    matched_basis = True
                break
        if matched_basis:
            continue
        if lowered.startswith(("custom:", "custom_")) and squash(name[7:]) in customs:
            found.custom[customs[squash(name[7:])]] = column
            continue
        ours = next((f for f, names in ALIASES.items() if squashed in names), None)
        if ours is not None and ours not in found.fields:
            found.fields[ours] = column
        elif squashed in customs:
            found.custom[customs[squashed]] = column
        else:
            found.ignored.append(column)
    return found


def _stage_lookup(workspace: Workspace) -> dict[str, LifecycleStage]:
    stages = {}
    for stage in LifecycleStage.objects.filter(workspace=workspace, is_active=True):
        stages[squash(stage.key)] = stage
        stages[squash(stage.name)] = stage
    by_key = {s.key: s for s in stages.values()}
    for word, key in HUBSPOT_STAGES.items():
        if key in by_key:
            stages.setdefault(word, by_key[key])
    for word, key in {"marketingqualifiedleadmql": "mql", "salesqualifiedleadsql": "sql"}.items():
        if key in by_key:
            stages.setdefault(word, by_key[key])
    return stages


@dataclass
class _Plan:
    row: int
    contact: Contact | None
    fields: dict
    stage: LifecycleStage | None
    company_name: str
    consents: dict[int, bool]
    bases: dict[int, str]
    consent_at: object
    consent_source: str
    consent_wording: str
    consent_evidence: str
    unsubscribed: bool


def _cell(row: dict, column: str | None) -> str:
    if column is None:
        return ""
    value = row.get(column)
    return "" if value is None else str(value).strip()


def contacts_import_rows(
    *,
    actor,
    workspace: Workspace,
    rows: list[dict],
    dry_run: bool = False,
    first_row: int = 2,
    row_numbers: list[int] | None = None,
):
    """Validate every row, then (unless `dry_run`, and only if no row has a problem) write them all in one
    transaction through the services (audited). Errors name the row: `row_numbers[i]` when given (the
    line of each row in the source file, e.g. when blank lines were skipped), else `first_row + i` (2 is
    the first data row under a one-line header). Returns an ImportReport; nothing is written when it has
    errors."""
    access.require_member(actor, workspace, write=True)
    services.ensure_defaults(workspace)
    report = ImportReport(dry_run=dry_run, rows=len(rows))
    if not rows:
        report.errors.append(RowError(first_row, "", "There are no rows to import."))
        return report
    header = list(dict.fromkeys(k for row in rows for k in row))
    cols = _columns(workspace, header)
    report.ignored_columns = cols.ignored
    if "email" not in cols.fields and not {"first_name", "last_name"} & set(cols.fields):
        report.errors.append(
            RowError(first_row - 1, "", "Name an email column (or first and last name columns).")
        )
        return report
    stages = _stage_lookup(workspace)
    purposes = {p.pk: p for p in Purpose.objects.filter(workspace=workspace)}
    existing = {c.email: c for c in Contact.objects.filter(workspace=workspace).exclude(email="")}
    by_external = {
        c.external_id: c for c in Contact.objects.filter(workspace=workspace).exclude(external_id="")
    }
    people = list(Person.objects.filter(workspace=workspace, is_active=True).select_related("user"))
    campaigns = list(Campaign.objects.filter(workspace=workspace))
    companies = {c.name.lower(): c for c in Company.objects.filter(workspace=workspace)}
    new_companies: set[str] = set()
    seen_emails: dict[str, int] = {}
    plans: list[_Plan] = []
    for offset, row in enumerate(rows):
        number = row_numbers[offset] if row_numbers and offset < len(row_numbers) else first_row + offset
        errors: list[RowError] = []

        def fail(column_key: str, message: str, *, _errors=errors, _number=number) -> None:
            _errors.append(RowError(_number, cols.fields.get(column_key, column_key), message))

        values = {k: _cell(row, cols.fields.get(k)) for k in ALIASES}
        email = ""
        try:
            email = clean_email(values["email"])
        except ValidationError as error:
            fail("email", " ".join(error.messages))
        if email:
            if email in seen_emails:
                fail("email", f"{email} is also on row {seen_emails[email]}.")
            seen_emails.setdefault(email, number)
            if gdpr.is_suppressed(workspace, email):
                fail("email", "this address belongs to a person erased at their request (suppressed).")
        contact = existing.get(email) if email else None
        if contact is None and values["external_id"]:
            contact = by_external.get(values["external_id"])
            if contact is not None and email and contact.email and contact.email != email:
                contact = None
        if contact is None and not (values["email"] or values["first_name"] or values["last_name"]):
            errors.append(RowError(number, "", "A row needs an email address or a name."))
        fields = {k: values[k] for k in IDENTITY if values[k] and k != "email"}
        if email:
            fields["email"] = email
        for key in (
            "external_id",
            "lead_status",
            "source",
            "first_touch_channel",
            "utm_source",
            "utm_medium",
            "utm_campaign",
        ):
            if values[key]:
                fields[key] = values[key]
        for key, limit in (
            ("first_name", 100),
            ("last_name", 100),
            ("phone", 40),
            ("job_title", 150),
            ("city", 100),
            ("country", 60),
            ("language", 10),
        ):
            if len(fields.get(key, "")) > limit:
                fail(key, f"at most {limit} characters.")
        stage = None
        if values["stage"]:
            stage = stages.get(squash(values["stage"]))
            if stage is None:
                fail("stage", f"unknown lifecycle stage “{values['stage']}”.")
        elif values["lead_status"]:
            key = SALESFORCE_STATUS.get(squash(values["lead_status"]))
            stage = stages.get(squash(key)) if key else stages.get(squash(values["lead_status"]))
            if stage is None:
                fail("lead_status", f"cannot map the lead status “{values['lead_status']}” to a stage.")
        if values["owner"]:
            wanted = values["owner"].lower()
            owner = next(
                (
                    p
                    for p in people
                    if wanted in {p.email.lower(), p.name.lower(), p.user.email if p.user_id else ""}
                ),
                None,
            )
            if owner is None:
                fail("owner", f"nobody called “{values['owner']}” in this workspace.")
            else:
                fields["owner"] = owner
        if values["campaign"]:
            wanted = values["campaign"].lower()
            campaign = next(
                (c for c in campaigns if c.code.lower() == wanted or c.name.lower() == wanted), None
            )
            if campaign is None:
                fail("campaign", f"no campaign with the code or name “{values['campaign']}”.")
            else:
                fields["first_touch_campaign"] = campaign
        company_name = values["company"]
        if company_name and company_name.lower() not in companies:
            if len(company_name) > 200:
                fail("company", "at most 200 characters.")
            new_companies.add(company_name.lower())
        custom_values = {key: _cell(row, column) for key, column in cols.custom.items()}
        merged = dict(contact.custom if contact else {})
        merged.update({k: v for k, v in custom_values.items() if v})
        try:
            fields["custom"] = clean_custom(workspace, CustomField.Entity.CONTACT, merged)
        except ValidationError as error:
            for message in error.message_dict.get("custom", error.messages):
                errors.append(RowError(number, "", message))
        consents: dict[int, bool] = {}
        for purpose_id, column in cols.consent.items():
            try:
                answer = parse_yes_no(_cell(row, column))
            except ValidationError as error:
                errors.append(RowError(number, column, " ".join(error.messages)))
                continue
            if answer is not None:
                consents[purpose_id] = answer
        wording = values["consent_wording"]
        consent_at = None
        if any(consents.values()):
            for purpose_id, given in consents.items():
                purpose = purposes[purpose_id]
                if given and not (wording or purpose.consent_wording):
                    errors.append(
                        RowError(
                            number,
                            cols.consent[purpose_id],
                            "consent needs the wording shown (add a consent_wording column or set it "
                            f"on “{purpose}”).",
                        )
                    )
                if given and not purpose.is_active:
                    errors.append(RowError(number, cols.consent[purpose_id], f"“{purpose}” is switched off."))
            if values["consent_date"]:
                try:
                    consent_at = parse_datetime(values["consent_date"])
                    if consent_at > timezone.now():
                        fail("consent_date", "the consent date is in the future.")
                except ValidationError as error:
                    fail("consent_date", " ".join(error.messages))
        bases: dict[int, str] = {}
        for purpose_id, column in cols.basis.items():
            cell = _cell(row, column)
            if not cell:
                continue
            basis = BASIS_WORDS.get(squash(cell))
            if basis is None:
                errors.append(
                    RowError(
                        number,
                        column,
                        f"“{cell}” is not a lawful basis (consent, contract, legitimate interest, "
                        "legal obligation, vital interest, public task).",
                    )
                )
            else:
                bases[purpose_id] = basis
        unsubscribed = False
        try:
            unsubscribed = bool(parse_yes_no(values["unsubscribed"]))
        except ValidationError as error:
            fail("unsubscribed", " ".join(error.messages))
        report.errors.extend(errors)
        if errors:
            continue
        plans.append(
            _Plan(
                row=number,
                contact=contact,
                fields=fields,
                stage=stage,
                company_name=company_name,
                consents=consents,
                bases=bases,
                consent_at=consent_at,
                consent_source=values["consent_source"] or "import",
                consent_wording=wording,
                consent_evidence=values["consent_evidence"],
                unsubscribed=unsubscribed,
            )
        )
        if contact is None:
            report.created += 1
        else:
            report.updated += 1
        report.consents += sum(1 for v in consents.values() if v)
        report.bases += len(bases)
        if (stage is not None and stage.key == "mql") and (contact is None or contact.stage.key != "mql"):
            report.handoffs += 1
    report.companies = len(new_companies)
    if report.errors or dry_run:
        return report
    try:
        with transaction.atomic():
            _apply(actor, workspace, plans, purposes, companies, report)
            if report.errors:
                raise _Rollback
    except _Rollback:
        report.created = report.updated = report.consents = report.withdrawals = report.handoffs = 0
    return report


class _Rollback(Exception):
    pass


def _apply(
    actor, workspace, plans: list[_Plan], purposes: dict, companies: dict, report: ImportReport
) -> None:
    lead = LifecycleStage.objects.get(workspace=workspace, key="lead")
    report.withdrawals = 0
    assigned: dict[int, list] = {}
    for plan in plans:
        try:
            with transaction.atomic():
                fields = dict(plan.fields)
                if plan.company_name:
                    company = companies.get(plan.company_name.lower())
                    if company is None:
                        company = services.company_create(
                            actor=actor, workspace=workspace, name=plan.company_name
                        )
                        companies[plan.company_name.lower()] = company
                    fields["company"] = company
                if plan.contact is None:
                    contact = services.contact_create(
                        actor=actor,
                        workspace=workspace,
                        stage=plan.stage or lead,
                        reason=StageTransition.Reason.IMPORT,
                        handoff=False,
                        **{"source": "import", **fields},
                    )
                else:
                    contact = Contact.objects.get(pk=plan.contact.pk)
                    services.contact_update(actor=actor, contact=contact, **fields)
                    if plan.stage is not None:
                        services.contact_set_stage(
                            actor=actor,
                            contact=contact,
                            stage=plan.stage,
                            reason=StageTransition.Reason.IMPORT,
                            handoff=False,
                        )
                for purpose_id, basis in plan.bases.items():
                    gdpr.basis_set(actor=actor, contact=contact, purpose=purposes[purpose_id], basis=basis)
                for purpose_id, given in plan.consents.items():
                    purpose = purposes[purpose_id]
                    if given:
                        active = contact.consents.filter(purpose=purpose, withdrawn_at__isnull=True).exists()
                        if not active:
                            gdpr.consent_give(
                                actor=actor,
                                contact=contact,
                                purpose=purpose,
                                wording=plan.consent_wording or purpose.consent_wording,
                                source=plan.consent_source,
                                given_at=plan.consent_at,
                                evidence=plan.consent_evidence,
                            )
                    else:
                        report.withdrawals += gdpr.consent_withdraw_purpose(
                            actor=actor, contact=contact, purpose=purpose, source=plan.consent_source
                        )
                if plan.unsubscribed:
                    for purpose in purposes.values():
                        report.withdrawals += gdpr.consent_withdraw_purpose(
                            actor=actor, contact=contact, purpose=purpose, source="unsubscribed (import)"
                        )
                contact.refresh_from_db()
                if (
                    contact.stage.key == "mql"
                    and not contact.handoffs.filter(status=Handoff.Status.PENDING).exists()
                ):
                    handoff = services.handoff_create(actor=actor, contact=contact, send=False)
                    if handoff.assigned_to is not None:
                        assigned.setdefault(handoff.assigned_to_id, [handoff.assigned_to, 0])[1] += 1
        except ValidationError as error:
            report.errors.append(RowError(plan.row, "", " ".join(error.messages)))
    for person, count in assigned.values():
        notify(
            workspace=workspace,
            users=[person.user],
            exclude=actor,
            subject=f"{count} new MQL{'s' if count != 1 else ''} for you from an import",
            body="Accept or reject each one on the hand-off page before its SLA runs out.",
            url=_handoff_list_url(workspace),
        )


def _handoff_list_url(workspace: Workspace) -> str:
    from django.urls import reverse

    return reverse("handoff_list", kwargs={"ws": workspace.slug})


# --- feedback -------------------------------------------------------------------------------------


FEEDBACK_ALIASES = {
    "email": {"email", "emailaddress", "respondentemail"},
    "kind": {"kind", "type", "survey", "surveytype", "metric"},
    "score": {"score", "rating", "answer", "value", "nps", "csat"},
    "received_on": {"date", "receivedon", "received", "submittedat", "respondedat", "answeredat"},
    "comment": {"comment", "comments", "feedback", "text", "verbatim", "reason"},
    "campaign": {"campaign", "campaigncode"},
}


@dataclass
class FeedbackReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    linked: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def feedback_import_rows(
    *, actor, workspace: Workspace, rows: list[dict], dry_run: bool = False, first_row: int = 2
):
    """NPS/CSAT answers: score, kind (nps/csat; a column named NPS or CSAT also says it), date, comment,
    campaign (code or name) and the respondent's email, linked to the contact when we know them (an
    unknown or suppressed address is stored as an anonymous answer). All or nothing."""
    access.require_member(actor, workspace, write=True)
    report = FeedbackReport(dry_run=dry_run, rows=len(rows))
    header = list(dict.fromkeys(k for row in rows for k in row))
    cols: dict[str, str] = {}
    kind_from_header = ""
    for column in header:
        squashed = squash(column)
        ours = next((f for f, names in FEEDBACK_ALIASES.items() if squashed in names), None)
        if ours is None or ours in cols:
            report.ignored_columns.append(column)
            continue
        cols[ours] = column
        if ours == "score" and squashed in {"nps", "csat"}:
            kind_from_header = squashed
    if "score" not in cols:
        report.errors.append(RowError(first_row - 1, "", "Name a score column."))
        return report
    contacts = {c.email: c for c in Contact.objects.filter(workspace=workspace).exclude(email="")}
    campaigns = list(Campaign.objects.filter(workspace=workspace))
    plans = []
    today = timezone.localdate()
    for offset, row in enumerate(rows):
        number = first_row + offset
        errors = []
        kind = (_cell(row, cols.get("kind")) or kind_from_header or "nps").lower()
        if kind not in Feedback.Kind.values:
            errors.append(RowError(number, cols.get("kind", ""), f"“{kind}” is neither nps nor csat."))
        score = None
        try:
            score = services.clean_score(
                kind if kind in Feedback.Kind.values else "nps", _cell(row, cols["score"])
            )
        except ValidationError as error:
            errors.append(RowError(number, cols["score"], " ".join(error.messages)))
        received_on = today
        if _cell(row, cols.get("received_on")):
            try:
                received_on = parse_date(_cell(row, cols.get("received_on")))
                if received_on > today:
                    errors.append(RowError(number, cols["received_on"], "the date is in the future."))
            except ValidationError as error:
                errors.append(RowError(number, cols["received_on"], " ".join(error.messages)))
        contact = None
        email_text = _cell(row, cols.get("email"))
        if email_text:
            try:
                contact = contacts.get(clean_email(email_text))
            except ValidationError as error:
                errors.append(RowError(number, cols["email"], " ".join(error.messages)))
        campaign = None
        if _cell(row, cols.get("campaign")):
            wanted = _cell(row, cols.get("campaign")).lower()
            campaign = next(
                (c for c in campaigns if c.code.lower() == wanted or c.name.lower() == wanted), None
            )
            if campaign is None:
                errors.append(RowError(number, cols["campaign"], f"no campaign “{wanted}”."))
        report.errors.extend(errors)
        if not errors:
            plans.append((kind, score, received_on, contact, campaign, _cell(row, cols.get("comment"))))
            report.created += 1
            report.linked += contact is not None
    if report.errors or dry_run:
        if report.errors:
            report.created = report.linked = 0
        return report
    with transaction.atomic():
        for kind, score, received_on, contact, campaign, comment in plans:
            services.feedback_create(
                actor=actor,
                workspace=workspace,
                kind=kind,
                score=score,
                received_on=received_on,
                contact=contact,
                campaign=campaign,
                comment=comment,
                source=Feedback.Source.IMPORT,
            )
    return report
