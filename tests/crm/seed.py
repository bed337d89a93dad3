"""One of every customer object in a workspace, made directly (not through the services), for the
tenant-isolation walk: `seed_crm_objects(workspace, admin)` is called from tests/conftest.py's
`seed_plan_objects` (and by tests/crm/test_isolation.py)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone


def seed_crm_objects(workspace, admin) -> None:
    from opencmo.crm import models as crm
    from opencmo.crm.services import ensure_defaults
    from opencmo.org.models import Person

    ensure_defaults(workspace)  # stages, purposes (the register), scoring rules, settings
    name = workspace.name
    now = timezone.now()
    boss = Person.objects.get(workspace=workspace, user=admin)
    lead = crm.LifecycleStage.objects.get(workspace=workspace, key="mql")
    purpose = crm.Purpose.objects.filter(workspace=workspace).first()
    company = crm.Company.objects.create(workspace=workspace, name=f"{name} Kunde AS", industry="Retail")
    contact = crm.Contact.objects.create(
        workspace=workspace,
        email=f"kunde@{workspace.slug}.example",
        first_name="Kari",
        last_name=f"{name}sen",
        company=company,
        stage=lead,
    )
    crm.StageTransition.objects.create(workspace=workspace, contact=contact, to_stage=lead, at=now)
    crm.ContactEvent.objects.create(workspace=workspace, contact=contact, kind="email_click", occurred_at=now)
    crm.ConsentRecord.objects.create(
        workspace=workspace, contact=contact, purpose=purpose, given_at=now, source="web form", wording="Yes"
    )
    crm.ContactBasis.objects.create(workspace=workspace, contact=contact, purpose=purpose, basis="consent")
    crm.Handoff.objects.create(
        workspace=workspace,
        contact=contact,
        assigned_to=boss,
        assigned_at=now,
        due_at=now + dt.timedelta(hours=24),
    )
    crm.Feedback.objects.create(
        workspace=workspace, contact=contact, kind="nps", score=9, received_on=now.date()
    )
    crm.ContactSegment.objects.create(
        workspace=workspace, name=f"{name} warm leads", filters={"stages": ["mql"]}
    )
    crm.CustomField.objects.create(workspace=workspace, key="shoe_size", label="Shoe size", type="number")
    crm.AssignmentRule.objects.create(
        workspace=workspace, name="Norway", field="country", operator="equals", value="NO", assign_to=boss
    )
    crm.ScoringRule.objects.get_or_create(
        workspace=workspace,
        name="Seed rule",
        defaults={"kind": "engagement", "event_kind": "x", "points": Decimal(1)},
    )
