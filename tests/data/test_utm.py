"""The UTM campaign page: names from GA4 touchpoints with counts and first/last seen; mapping one updates
the stored touchpoints idempotently and future imports; removing it undoes exactly that."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from opencmo.campaigns.models import Campaign, PlatformCampaign
from opencmo.data import selectors
from opencmo.data.services import import_file, open_store, utm_campaign_map, utm_mapping_delete

from .conftest import sample


def _campaign(workspace, name="Spring", code="spring"):
    from opencmo.org.raci_services import activity_create

    activity = activity_create(actor=None, workspace=workspace, name=name, kind="campaign")
    return Campaign.objects.create(
        workspace=workspace,
        name=name,
        code=code,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        activity=activity,
    )


def _touchpoints(workspace) -> dict[str, list]:
    with open_store(workspace, read_only=True) as store:
        rows = store.execute("SELECT campaign, campaign_id FROM touchpoints ORDER BY campaign, ts").fetchall()
    out: dict[str, list] = {}
    for name, campaign_id in rows:
        out.setdefault(name, []).append(campaign_id)
    return out


@pytest.fixture
def ga4(acme, alice):
    run = import_file(
        actor=alice, workspace=acme, kind="ga4", filename="ga4.ndjson", data=sample("ga4.ndjson")
    )
    assert run.status == "succeeded", run.problems
    return run


def test_lists_unmapped_names_with_counts_and_span(acme, alice, ga4):
    names = selectors.utm_campaigns(acme)
    rows = {r["name"]: r for r in names["unmapped"]}
    assert set(rows) == {"march", "spring_sale"}  # "(organic)", "(direct)" and empty are not campaigns
    expected = _touchpoints(acme)
    for name, row in rows.items():
        assert row["touchpoints"] == len(expected[name])
        assert row["first_seen"] <= row["last_seen"] and row["users"] >= 1
    assert names["mapped"] == []


def test_map_updates_stored_touchpoints_once_and_future_imports(acme, alice, ga4):
    spring = _campaign(acme)
    mapping, changed = utm_campaign_map(actor=alice, workspace=acme, name="spring_sale", campaign=spring)
    assert mapping.platform == "ga4_utm" and changed == 2
    assert _touchpoints(acme)["spring_sale"] == [spring.pk, spring.pk]
    assert _touchpoints(acme)["march"] == [None] * len(_touchpoints(acme)["march"])
    # idempotent: mapping again writes nothing, keeps one mapping
    assert utm_campaign_map(actor=alice, workspace=acme, name="spring_sale", campaign=spring)[1] == 0
    assert PlatformCampaign.objects.filter(workspace=acme, platform="ga4_utm").count() == 1
    names = selectors.utm_campaigns(acme)
    assert [r["name"] for r in names["mapped"]] == ["spring_sale"]
    assert [r["name"] for r in names["unmapped"]] == ["march"]
    # a later file (another visitor, same tag) comes in mapped: the import reads the same mapping
    data = sample("ga4.ndjson").replace(b"u1.111", b"u9.999")
    again = import_file(actor=alice, workspace=acme, kind="ga4", filename="more.ndjson", data=data)
    assert again.status == "succeeded" and again.unmapped == ["march"]
    assert _touchpoints(acme)["spring_sale"] == [spring.pk] * 3  # u9.999 brings one more


def test_remap_to_another_campaign_and_remove(acme, alice, ga4):
    spring, summer = _campaign(acme), _campaign(acme, "Summer", "summer")
    utm_campaign_map(actor=alice, workspace=acme, name="march", campaign=spring)
    n = len(_touchpoints(acme)["march"])
    mapping, changed = utm_campaign_map(actor=alice, workspace=acme, name="march", campaign=summer)
    assert changed == n and _touchpoints(acme)["march"] == [summer.pk] * n
    assert utm_mapping_delete(actor=alice, mapping=mapping) == n
    assert _touchpoints(acme)["march"] == [None] * n
    assert not PlatformCampaign.objects.filter(workspace=acme, platform="ga4_utm").exists()


def test_bad_input_is_refused_and_nothing_changes(acme, alice, globex, eve, ga4, vera):
    spring = _campaign(acme)
    foreign = _campaign(globex, "Theirs", "theirs")
    with pytest.raises(ValidationError) as error:
        utm_campaign_map(actor=alice, workspace=acme, name="march", campaign=foreign)
    assert "campaign" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        utm_campaign_map(actor=alice, workspace=acme, name="  ", campaign=spring)
    assert "name" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        utm_campaign_map(actor=vera, workspace=acme, name="march", campaign=spring)
    assert not PlatformCampaign.objects.filter(workspace=acme).exists()
    assert set(_touchpoints(acme)["march"]) == {None}


def test_page_maps_and_removes(acme, alice, ga4, client_for):
    spring = _campaign(acme)
    client = client_for(alice)
    url = reverse("data_utm_campaigns", kwargs={"ws": "acme"})
    page = client.get(url)
    assert page.status_code == 200 and b"spring_sale" in page.content and b"march" in page.content
    response = client.post(url, {"name": "spring_sale", "campaign": spring.pk})
    assert response.status_code == 302
    assert _touchpoints(acme)["spring_sale"] == [spring.pk, spring.pk]
    page = client.get(url)
    assert b"2 touchpoints updated" in page.content
    bad = client.post(url, {"name": "march", "campaign": ""})
    assert bad.status_code == 400 and b"Our campaign" in bad.content
    mapping = PlatformCampaign.objects.get(workspace=acme, external_name="spring_sale")
    client.post(reverse("data_utm_mapping_delete", kwargs={"ws": "acme", "platformcampaign_pk": mapping.pk}))
    assert set(_touchpoints(acme)["spring_sale"]) == {None}


def test_page_without_a_store_and_for_viewers(acme, alice, vera, client_for):
    spring = _campaign(acme)
    url = reverse("data_utm_campaigns", kwargs={"ws": "acme"})
    assert b"No UTM campaign names yet" in client_for(alice).get(url).content
    viewer = client_for(vera)
    page = viewer.get(url)
    assert page.status_code == 200 and b"<select" not in page.content
    assert viewer.post(url, {"name": "march", "campaign": spring.pk}).status_code == 403


def test_ad_platform_mappings_are_not_managed_here(acme, alice, client_for):
    spring = _campaign(acme)
    ads = PlatformCampaign.objects.create(
        workspace=acme, platform="google_ads", external_name="Brand", campaign=spring
    )
    url = reverse("data_utm_mapping_delete", kwargs={"ws": "acme", "platformcampaign_pk": ads.pk})
    assert client_for(alice).post(url).status_code == 404
    assert PlatformCampaign.objects.filter(pk=ads.pk).exists()
