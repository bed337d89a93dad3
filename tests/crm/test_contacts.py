"""Contacts and companies: custom fields checked against their definitions, lifecycle transitions with
dates, identification of anonymous visitors carrying their first touch, permissions and the audit log."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from opencmo.campaigns.models import Campaign, PlatformCampaign
from opencmo.core.models import AuditEvent
from opencmo.crm import services
from opencmo.crm.models import Contact, CustomField, StageTransition
from opencmo.crm.values import clean_custom, parse_decimal
from opencmo.org.raci_services import activity_create
from tests.crm.conftest import T0


@pytest.fixture
def fields(acme, alice, crm):
    services.customfield_create(actor=alice, workspace=acme, label="Shoe size", type="number")
    services.customfield_create(actor=alice, workspace=acme, label="Member since", type="date")
    services.customfield_create(
        actor=alice, workspace=acme, label="Segment", type="choice", choices=["B2B", "B2C"], required=True
    )
    services.customfield_create(actor=alice, workspace=acme, label="Nickname", type="text")
    services.customfield_create(
        actor=alice, workspace=acme, label="Employees band", type="text", entity="company"
    )


@pytest.mark.django_db
def test_custom_values_are_validated_against_the_definitions(acme, fields):
    assert clean_custom(
        acme, "contact", {"shoe_size": "42,5", "member_since": "01.03.2024", "segment": "b2c", "nickname": ""}
    ) == {
        "shoe_size": "42.5",
        "member_since": "2024-03-01",
        "segment": "B2C",
    }
    with pytest.raises(ValidationError) as error:
        clean_custom(
            acme,
            "contact",
            {"shoe_size": "big", "member_since": "soon", "segment": "B2G", "eye_colour": "blue"},
        )
    problems = error.value.message_dict["custom"]
    assert "Shoe size: “big” is not a number." in problems
    assert "Member since: “soon” is not a date (use YYYY-MM-DD)." in problems
    assert "Segment: “B2G” is not one of B2B, B2C." in problems
    assert "There is no custom field “eye_colour”." in problems
    assert "Segment is required." in clean_custom_errors(acme, {})
    assert clean_custom(acme, "company", {"employees_band": "50-99"}) == {"employees_band": "50-99"}


def clean_custom_errors(acme, values) -> list[str]:
    try:
        clean_custom(acme, "contact", values)
    except ValidationError as error:
        return error.message_dict["custom"]
    return []


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9))
def test_numbers_survive_the_round_trip(number):
    assert parse_decimal(str(number)) == number
    assert parse_decimal(f"{number:,}".replace(",", " ")) == number


@pytest.mark.django_db
def test_contact_is_created_with_its_first_transition_and_audited(team, acme, fields):
    contact = services.contact_create(
        actor=team.bob,
        workspace=acme,
        email="  Kari@Fjellsport.NO ",
        first_name="Kari",
        country="no",
        custom={"segment": "B2B", "shoe_size": 38},
    )
    assert (
        contact.email == "kari@fjellsport.no"
        and contact.country == "NO"
        and contact.custom == {"segment": "B2B", "shoe_size": "38"}
    )
    (first,) = contact.transitions.all()
    assert first.to_stage.key == "lead" and first.from_stage is None and first.reason == "created"
    created = AuditEvent.objects.get(object_type="crm.Contact", object_id=str(contact.pk), action="create")
    assert created.actor == team.bob and created.changes["email"] == [None, "kari@fjellsport.no"]
    with pytest.raises(ValidationError) as error:
        services.contact_create(
            actor=team.bob, workspace=acme, email="KARI@fjellsport.no", custom={"segment": "B2B"}
        )
    assert "already a contact" in error.value.message_dict["email"][0]
    with pytest.raises(ValidationError) as error:
        services.contact_create(actor=team.bob, workspace=acme, custom={"segment": "B2B"})
    assert "email" in error.value.message_dict


@pytest.mark.django_db
def test_every_stage_change_is_dated(team, make_contact, acme, stage):
    contact = make_contact()
    services.contact_set_stage(actor=team.bob, contact=contact, stage=stage("customer"), note="Signed", at=T0)
    services.contact_set_stage(
        actor=team.bob, contact=contact, stage=stage("evangelist"), at=T0 + dt.timedelta(days=40)
    )
    assert services.contact_set_stage(actor=team.bob, contact=contact, stage=stage("evangelist")) is None
    history = list(StageTransition.objects.filter(contact=contact).order_by("pk"))
    assert [(t.from_stage and t.from_stage.key, t.to_stage.key) for t in history] == [
        (None, "lead"),
        ("lead", "customer"),
        ("customer", "evangelist"),
    ]
    assert history[1].at == T0 and history[1].note == "Signed" and history[1].actor == team.bob
    contact.refresh_from_db()
    assert contact.stage_changed_at == T0 + dt.timedelta(days=40)


@pytest.mark.django_db
def test_stages_are_configurable(acme, alice, bob, crm, make_contact, stage):
    made = services.stage_create(actor=alice, workspace=acme, name="Partner")
    assert made.key == "partner" and made.position > stage("other").position
    with pytest.raises(PermissionDenied):
        services.stage_create(actor=bob, workspace=acme, name="Reseller")
    services.stage_update(actor=alice, stage=stage("evangelist"), name="Ambassador", position=65)
    with pytest.raises(ValidationError):
        services.stage_update(actor=alice, stage=stage("mql"), name="MQL", position=20, is_active=False)
    with pytest.raises(ValidationError):
        services.stage_delete(actor=alice, stage=stage("lead"))
    contact = make_contact()
    services.contact_set_stage(actor=alice, contact=contact, stage=made)
    with pytest.raises(ValidationError):  # it has history: switch it off instead
        services.stage_delete(actor=alice, stage=made)
    unused = services.stage_create(actor=alice, workspace=acme, name="Unused")
    services.stage_delete(actor=alice, stage=unused)


@pytest.fixture
def spring(acme):
    campaign = Campaign.objects.create(
        workspace=acme,
        name="Spring sale",
        code="spring-26",
        start_date="2026-03-01",
        end_date="2026-04-30",
        activity=activity_create(actor=None, workspace=acme, name="Spring sale", kind="campaign"),
    )
    PlatformCampaign.objects.create(
        workspace=acme, platform="ga4_utm", external_name="NO_Spring_Search", campaign=campaign
    )
    return campaign


@pytest.mark.django_db
def test_identified_visitor_carries_the_first_touch(acme, crm, spring):
    touch = {
        "channel": "paid_search",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "NO_Spring_Search",
        "at": "2026-03-02T10:15:00+01:00",
    }
    contact = services.contact_identify(
        actor=None, workspace=acme, email="Ny@kunde.no", anonymous_id="GA1.1.42.1", first_touch=touch
    )
    assert contact.stage.key == "subscriber" and contact.source == "identified"
    assert (contact.first_touch_channel, contact.first_touch_campaign, contact.utm_campaign) == (
        "paid_search",
        spring,
        "NO_Spring_Search",
    )
    assert contact.first_touch_at == dt.datetime(
        2026, 3, 2, 9, 15, tzinfo=dt.UTC
    ) and contact.anonymous_ids == ["GA1.1.42.1"]
    assert contact.transitions.get().reason == "identified"
    # The same person on another device: the id is remembered; an earlier touch wins, a later one does not.
    later = {"channel": "email", "at": "2026-03-09T10:00:00+01:00"}
    again = services.contact_identify(
        actor=None, workspace=acme, email="ny@kunde.no", anonymous_id="GA1.1.77.2", first_touch=later
    )
    assert (
        again.pk == contact.pk
        and again.anonymous_ids == ["GA1.1.42.1", "GA1.1.77.2"]
        and again.first_touch_channel == "paid_search"
    )
    earlier = {
        "channel": "organic_social",
        "utm_source": "instagram",
        "campaign_id": spring.pk,
        "at": "2026-02-20T08:00:00+01:00",
    }
    again = services.contact_identify(
        actor=None, workspace=acme, email="ny@kunde.no", anonymous_id="GA1.1.42.1", first_touch=earlier
    )
    assert (again.first_touch_channel, again.utm_source, again.utm_medium) == (
        "organic_social",
        "instagram",
        "",
    )
    assert Contact.objects.filter(workspace=acme).count() == 1


@pytest.mark.django_db
def test_identify_ignores_a_foreign_campaign(acme, crm, globex):
    foreign = Campaign.objects.create(
        workspace=globex,
        name="X",
        code="x",
        start_date="2026-01-01",
        end_date="2026-01-02",
        activity=activity_create(actor=None, workspace=globex, name="X", kind="campaign"),
    )
    contact = services.contact_identify(
        actor=None,
        workspace=acme,
        email="a@b.example",
        anonymous_id="",
        first_touch={"campaign_id": foreign.pk, "channel": "email"},
    )
    assert contact.first_touch_campaign is None and contact.first_touch_channel == "email"


@pytest.mark.django_db
def test_permissions(acme, vera, bob, alice, eve, make_contact, globex):
    contact = make_contact()
    with pytest.raises(PermissionDenied):
        services.contact_create(actor=vera, workspace=acme, email="v@x.example")
    with pytest.raises(PermissionDenied):
        services.contact_update(actor=vera, contact=contact, city="Oslo")
    with pytest.raises(PermissionDenied):
        services.event_record(actor=vera, contact=contact, kind="email_click")
    with pytest.raises(PermissionDenied):
        services.contact_update(actor=eve, contact=contact, city="Oslo")
    services.contact_update(actor=bob, contact=contact, city="Oslo")
    with pytest.raises(PermissionDenied):
        services.settings_update(actor=bob, workspace=acme, sla_hours=4)
    company = services.company_create(
        actor=bob, workspace=acme, name="Fjellsport AS", domain="https://www.Fjellsport.no/"
    )
    assert company.domain == "fjellsport.no"
    with pytest.raises(ValidationError):
        services.company_create(actor=bob, workspace=acme, name="fjellsport as")
    services.contact_update(actor=bob, contact=contact, company=company)
    assert services.company_delete(actor=bob, company=company) == 1
    contact.refresh_from_db()
    assert contact.company is None


@pytest.mark.django_db
def test_deleting_a_custom_field_removes_its_values(acme, alice, make_contact):
    definition = services.customfield_create(actor=alice, workspace=acme, label="Shoe size", type="number")
    contact = make_contact(custom={"shoe_size": "44"})
    assert services.customfield_delete(actor=alice, definition=definition) == 1
    contact.refresh_from_db()
    assert contact.custom == {} and not CustomField.objects.filter(workspace=acme).exists()
