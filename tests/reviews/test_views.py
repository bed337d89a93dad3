"""The pages: list, pack, htmx meeting forms, CSV exports and the board report PDF."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from opencmo.reviews import services
from opencmo.reviews.models import ReviewCycle
from opencmo.reviews.pack import build_pack
from opencmo.reviews.pdf import render_pdf
from opencmo.work.models import Task

pytestmark = pytest.mark.django_db


def url(review, name="") -> str:
    base = f"/w/{review.workspace.slug}/reviews/{review.pk}/"
    return base + name


def test_list_shows_cycles_and_creates_one(client, team, cycle):
    client.force_login(team.alice)
    page = client.get(f"/w/{team.ws.slug}/reviews/")
    assert page.status_code == 200 and b"Monthly marketing review" in page.content
    response = client.post(
        f"/w/{team.ws.slug}/reviews/",
        {
            "kind": "quarterly",
            "name": "Quarterly strategy",
            "cadence": "quarterly",
            "first_date": "2026-04-14",
            "chair": team.alice_p.pk,
            "participants": [team.carl_p.pk],
        },
    )
    assert response.status_code == 302
    created = ReviewCycle.objects.get(name="Quarterly strategy")
    assert created.reviews.get().period_start == dt.date(2026, 1, 1)
    # Same name again: the form says so, nothing is created.
    again = client.post(
        f"/w/{team.ws.slug}/reviews/",
        {
            "kind": "quarterly",
            "name": "Quarterly strategy",
            "cadence": "quarterly",
            "first_date": "2026-04-14",
            "chair": team.alice_p.pk,
        },
    )
    assert again.status_code == 200 and b"already a cycle" in again.content


def test_member_sees_the_pack_but_no_meeting_forms(client, team, review):
    client.force_login(team.bob)
    page = client.get(url(review))
    assert page.status_code == 200
    assert (
        b'data-testid="pack-objectives"' in page.content
        and b'data-testid="decision-form"' not in page.content
    )
    assert client.post(url(review, "decisions/"), {"text": "x"}).status_code == 403


def test_viewer_cannot_write(client, vera, review):
    client.force_login(vera)
    assert client.get(url(review)).status_code == 200
    assert client.post(url(review, "decisions/"), {"text": "x"}).status_code == 403
    assert client.post(url(review, "close/")).status_code == 403


def test_htmx_decision_and_action(client, team, review):
    client.force_login(team.marta)
    response = client.post(
        url(review, "decisions/"), {"text": "Shift to email", "owner": team.bob_p.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"Shift to email" in response.content
    assert b"<html" not in response.content  # only the meeting panel
    decision = review.decisions.get()
    empty = client.post(url(review, "decisions/"), {"text": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 200 and b"This field is required" in empty.content
    response = client.post(
        url(review, "actions/"),
        {
            "title": "Write the email brief",
            "responsible": [team.bob_p.pk],
            "accountable": team.marta_p.pk,
            "decision": decision.pk,
            "due_date": "2026-02-20",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and b"Write the email brief" in response.content
    assert Task.objects.filter(title="Write the email brief", workspace=team.ws).exists()


def test_csv_exports(client, team, review):
    client.force_login(team.bob)
    for section in (
        "kpis",
        "budget",
        "channels",
        "campaigns",
        "attribution",
        "insights",
        "raci",
        "decisions",
    ):
        response = client.get(url(review, f"export.csv?table={section}"))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), section
    assert client.get(url(review, "export.csv?table=secrets")).status_code == 404


def test_board_report_pdf_has_the_sections(client, team, review, tree):
    services.decision_record(
        actor=team.marta, review=review, text="Keep the search budget", owner=team.marta_p
    )
    services.review_close(actor=team.marta, review=review, notes="Board copy")
    client.force_login(team.bob)
    response = client.get(url(review, "board-report.pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in (
        "BOARD REPORT",
        "Acme",
        "January 2026",
        "Executive summary",
        "Objectives and KPIs vs targets",
        "Budget vs actual",
        "Campaign results",
        "Channels and attribution",
        "Roles and RACI health",
        "Decisions from the last review",
        "Keep the search budget",
        f"Page 2 of {len(reader.pages)}",
    ):
        assert heading in text, heading
    assert "FY 2026" in text  # the budget table of the plan running in the period
    # The executive summary is one page: the page after it starts the sections.
    assert "Executive summary" in reader.pages[1].extract_text()
    assert "Objectives and KPIs vs targets" in reader.pages[2].extract_text()


def test_pdf_charts_are_vector(review, tree):
    pack = build_pack(review)
    from opencmo.reviews.pdf import render_html

    html = render_html(pack)
    assert html.count("<svg") >= 1 and "Budget vs actual in the period" in html
    assert render_pdf(pack).startswith(b"%PDF")
