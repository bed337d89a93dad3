"""The role review: RACI health, workload against the policy, changes since the last review, recording."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.timezone import localtime

from opencmo.core.models import AuditEvent
from opencmo.org import raci
from opencmo.org.models import Person, Role, RoleReview
from opencmo.org.raci_services import activity_close, activity_create, policy_update, raci_set
from opencmo.org.review import role_changes, role_review_create, workload
from opencmo.org.services import person_update, role_create


def people(acme):
    """Alice's person, the specialist reporting to her, and Bob's (when the test asked for Bob)."""
    return (
        Person.objects.get(workspace=acme, user__email="alice@acme.example"),
        Person.objects.get(workspace=acme, name="Acme Specialist"),
        Person.objects.filter(workspace=acme, name="Bob Berg").first(),
    )


def loads_by_name(acme):
    return {
        load.person.name: (load.a, load.r, load.c, load.i) for load in workload(acme, raci.policy_for(acme))
    }


@pytest.mark.django_db
def test_workload_counts_open_activities_with_roles_expanded(alice, acme, bob):
    boss, _, bob_person = people(acme)
    launch = activity_create(actor=alice, workspace=acme, name="Spring launch")
    raci_set(actor=alice, activity=launch, person=boss, letters="A")
    # A role letter counts for everyone wearing the hat: the specialist wears the custom role.
    raci_set(
        actor=alice,
        activity=launch,
        role=Role.objects.get(workspace=acme, name="Acme influencer lead"),
        letters="R",
    )
    raci_set(actor=alice, activity=launch, person=bob_person, letters="C")
    raci_set(
        actor=alice,
        activity=launch,
        role=Role.objects.get(workspace=acme, key="content_producer"),
        letters="I",
    )
    old = activity_create(actor=alice, workspace=acme, name="Old campaign")
    raci_set(actor=alice, activity=old, person=boss, letters="A")
    raci_set(actor=alice, activity=old, person=bob_person, letters="R")
    activity_close(actor=alice, activity=old)  # closed work no longer weighs on anyone

    loads = loads_by_name(acme)
    assert loads["Alice Andersen"] == (2, 0, 0, 0)  # newsletter + launch
    assert loads["Acme Specialist"] == (0, 2, 0, 0)
    assert loads["Bob Berg"] == (0, 0, 1, 1)


@pytest.mark.django_db
def test_workload_limits_are_highlighted(client, alice, acme):
    boss, specialist, _ = people(acme)
    for name in ("One", "Two"):
        activity = activity_create(actor=alice, workspace=acme, name=name)
        raci_set(actor=alice, activity=activity, person=boss, letters="A")
        raci_set(actor=alice, activity=activity, person=specialist, letters="R")
    policy_update(actor=alice, workspace=acme, max_accountable=2, max_responsible_open=2)
    by_person = {load.person.pk: load for load in workload(acme, raci.policy_for(acme))}
    assert by_person[boss.pk].over_a and not by_person[boss.pk].over_r  # 3 A > 2
    assert by_person[specialist.pk].over_r and not by_person[specialist.pk].over_a

    client.force_login(alice)
    page = client.get("/w/acme/org/review/").content.decode()
    assert "A <small>(limit 2)</small>" in page
    row = page[page.index(f'data-person="{boss.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="num exceeded" data-letter="A">3' in row
    assert 'data-letter="R">0' in row and 'exceeded" data-letter="R"' not in row


@pytest.mark.django_db
def test_page_groups_findings_and_links_them(client, bob, acme, alice):
    orphan = activity_create(actor=alice, workspace=acme, name="Orphan task")
    client.force_login(bob)  # members read the review too
    response = client.get("/w/acme/org/review/")
    assert response.status_code == 200
    page = response.content.decode()
    errors = page[page.index("Errors <span") : page.index("Warnings <span")]
    assert "“Orphan task” has nobody Accountable" in errors
    assert f'href="/w/acme/org/activities/{orphan.pk}/"' in errors
    warnings = page[page.index("Warnings <span") :]
    assert "The role Content producer is worn but has no activity" in warnings  # Bob's hat
    assert 'href="/w/acme/org/roles/"' in warnings
    assert "Record review" not in page and "Administrators record reviews" in page


@pytest.mark.django_db
def test_changes_since_the_last_review_only(client, alice, acme):
    boss, specialist, _ = people(acme)
    before = role_changes(acme)
    assert before.filter(object_type="org.RoleAssignment").exists()  # the seed's hats
    review = role_review_create(actor=alice, workspace=acme, notes="Q1")
    assert not role_changes(acme, since=review.created_at).exists()

    person_update(actor=alice, person=specialist, reports_to=None)  # a reporting line
    person_update(actor=alice, person=specialist, title="Influencer lead")  # not a role change
    role_create(actor=alice, workspace=acme, name="Podcast host")
    launch = activity_create(actor=alice, workspace=acme, name="Launch")  # an activity is not a role change
    raci_set(actor=alice, activity=launch, person=boss, letters="A")

    since = role_changes(acme, since=review.created_at)
    assert sorted(since.values_list("object_type", flat=True)) == ["org.Person", "org.RaciEntry", "org.Role"]
    assert "reports_to" in since.get(object_type="org.Person").changes

    client.force_login(alice)
    page = client.get("/w/acme/org/review/").content.decode()
    table = page[page.index('data-testid="review-changes"') :]
    table = table[: table.index("</table>")]
    assert "Podcast host" in table and "A: Alice Andersen on Launch" in table
    assert "Acme influencer lead" not in table  # seeded before the review
    assert "title" not in table
    assert "<dt>reports to</dt><dd><del>Alice Andersen</del> → —</dd>" in table  # managers by name


@pytest.mark.django_db
def test_admin_records_a_review_with_a_snapshot(client, alice, acme):
    activity_create(actor=alice, workspace=acme, name="Orphan task")
    client.force_login(alice)
    earlier = set(RoleReview.objects.filter(workspace=acme).values_list("pk", flat=True))
    response = client.post("/w/acme/org/review/record/", {"notes": "Bob takes over <b>SEO</b>.\nAgreed."})
    review = RoleReview.objects.filter(workspace=acme).exclude(pk__in=earlier).get()
    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/org/review/{review.pk}/"
    assert review.held_by == alice and review.notes == "Bob takes over <b>SEO</b>.\nAgreed."
    current = raci.health(acme).findings
    assert len(review.findings) == len(current) > 0
    assert {f["code"] for f in review.findings} == {f.code for f in current}
    assert set(review.findings[0]) == {"severity", "code", "message", "activity_id", "person_id", "role_key"}
    assert AuditEvent.objects.filter(object_type="org.RoleReview", action="create", actor=alice).exists()

    detail = client.get(response["Location"]).content.decode()
    assert "Bob takes over &lt;b&gt;SEO&lt;/b&gt;.<br>Agreed." in detail
    assert "“Orphan task” has nobody Accountable" in detail

    page = client.get("/w/acme/org/review/").content.decode()
    assert f'href="/w/acme/org/review/{review.pk}/"' in page
    assert f"Last review {localtime(review.created_at):%Y-%m-%d} by Alice Andersen" in page
    assert "new since last review" not in page  # nothing changed since the snapshot
    activity_create(actor=alice, workspace=acme, name="Second orphan")
    page = client.get("/w/acme/org/review/").content.decode()
    assert "new since last review" in page


@pytest.mark.django_db
def test_members_and_viewers_may_not_record(client, bob, vera, acme, alice):
    before = RoleReview.objects.count()
    for user in (bob, vera):
        client.force_login(user)
        assert client.post("/w/acme/org/review/record/", {"notes": "mine"}).status_code == 403
        assert client.get("/w/acme/org/review/").status_code == 200
    assert RoleReview.objects.count() == before
    with pytest.raises(PermissionDenied):
        role_review_create(actor=bob, workspace=acme, notes="sneaky")


@pytest.mark.django_db
def test_bad_input_never_500s(client, alice, acme, globex):
    client.force_login(alice)
    too_long = client.post("/w/acme/org/review/record/", {"notes": "x" * 10_001})
    assert too_long.status_code == 400 and "at most 10000 characters" in too_long.content.decode()
    assert client.get("/w/acme/org/review/record/").status_code == 405
    assert client.get("/w/acme/org/review/999999/").status_code == 404
    foreign = RoleReview.objects.create(workspace=globex, notes="Globex secrets")
    response = client.get(f"/w/acme/org/review/{foreign.pk}/")
    assert response.status_code == 404 and "Globex secrets" not in response.content.decode()


@pytest.mark.django_db
def test_a_tampered_snapshot_still_renders(client, alice, acme):
    review = RoleReview.objects.create(
        workspace=acme, notes="", findings=[{"code": "x"}, "junk", {"message": "Kept", "activity_id": "7"}]
    )
    RoleReview.objects.create(workspace=acme, findings={"not": "a list"})
    client.force_login(alice)
    response = client.get(f"/w/acme/org/review/{review.pk}/")
    assert response.status_code == 200 and "Kept" in response.content.decode()
    assert client.get("/w/acme/org/review/").status_code == 200


@pytest.mark.django_db
def test_detail_shows_the_changes_that_led_up_to_it(client, alice, acme):
    first = role_review_create(actor=alice, workspace=acme, notes="First")
    role_create(actor=alice, workspace=acme, name="Podcast host")
    second = role_review_create(actor=alice, workspace=acme, notes="Second")
    role_create(actor=alice, workspace=acme, name="After the second")
    client.force_login(alice)
    detail = client.get(f"/w/acme/org/review/{second.pk}/").content.decode()
    assert "Podcast host" in detail and "After the second" not in detail
    assert localtime(first.created_at).strftime("%Y-%m-%d %H:%M") in detail


@pytest.mark.django_db
def test_before_any_review_everything_so_far_is_shown(client, alice, acme):
    RoleReview.objects.filter(workspace=acme).delete()
    client.force_login(alice)
    page = client.get("/w/acme/org/review/").content.decode()
    assert "No review recorded yet." in page and "Changes to roles and reporting lines so far" in page
    assert "Acme influencer lead" in page[page.index('data-testid="review-changes"') :]
    assert "new since last review" not in page  # nothing to compare with yet
