"""Budget services: permissions, validation, audit rows, the tree kept whole, phasing, FX conversion,
matching and idempotent imports, reallocations through the approval flow, alerts and efficiency."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.budget import alerts, ledger, selectors, services
from opencmo.budget.models import BudgetLine, MonthlyAmount, ReallocationRequest, SpendEntry
from opencmo.campaigns.models import PlatformCampaign
from opencmo.core.models import AuditEvent, Notification
from opencmo.org import raci
from opencmo.org.approvals import approval_decide, signoff_answer
from opencmo.org.models import ApprovalRequest, Person, Role
from opencmo.org.raci_services import authority_set, raci_set
from opencmo.strategy.models import Kpi, KpiActual
from tests.budget.conftest import Y0, Y1, make_campaign

D = Decimal
pytestmark = pytest.mark.django_db


def amounts(plan):
    return {line.name: line.amount for line in BudgetLine.objects.filter(plan=plan)}


def assert_tree_sound(plan):
    tree = ledger.Tree((line.pk, line.parent_id, line.amount) for line in plan.lines.all())
    assert tree.violations() == []


# --- plans --------------------------------------------------------------------------------------------


def test_plan_gets_its_activity_raci_and_total_line(world):
    plan, t = world.plan, world.team
    assert plan.activity.name == "Budget FY 2026" and plan.activity.kind == "process"
    letters = raci.resolve(plan.activity)
    assert letters["A"] == {t.marta_p.pk} and letters["R"] == {t.bob_p.pk}
    assert world.root.level == "total" and world.root.amount == D("1000000.00")
    events = AuditEvent.objects.filter(workspace=world.ws, object_type__startswith="budget.")
    assert {e.object_type for e in events} >= {"budget.BudgetPlan", "budget.BudgetLine"}


def test_plan_defaults_to_the_cmo_and_the_marketing_managers(team):
    plan = services.plan_create(
        actor=team.alice,
        workspace=team.ws,
        name="FY 2027",
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
        total="500000",
    )
    assert raci.resolve(plan.activity)["A"] == {team.alice_p.pk}  # Alice wears the CMO hat
    assert raci.resolve(plan.activity)["R"] == {team.marta_p.pk}  # via the marketing-manager role
    assert plan.activity.raci.filter(role__key="marketing_manager", letter="R").exists()


def test_plan_validation_and_permission(team):
    kwargs = {"workspace": team.ws, "start_date": Y0, "end_date": Y1, "total": D(1)}
    with pytest.raises(PermissionDenied):
        services.plan_create(actor=team.marta, name="Not admin", **kwargs)
    with pytest.raises(ValidationError) as error:
        services.plan_create(actor=team.alice, name="Backwards", **{**kwargs, "end_date": Y0})
    assert "end after it starts" in str(error.value.message_dict["end_date"])
    with pytest.raises(ValidationError, match="cannot be negative"):
        services.plan_create(actor=team.alice, name="Neg", **{**kwargs, "total": D(-1)})
    services.plan_create(actor=team.alice, name="FY", **kwargs)
    with pytest.raises(ValidationError, match="already a budget plan called"):
        services.plan_create(actor=team.alice, name="fy", **kwargs)
    Person.objects.filter(workspace=team.ws, roles__key="cmo").update(is_active=False)
    with pytest.raises(ValidationError, match="Nobody wears the CMO hat"):
        services.plan_create(actor=None, name="No CMO", **kwargs)


# --- the tree -----------------------------------------------------------------------------------------


def test_allocations_come_out_of_the_parent_reserve(tree):
    figures = selectors.plan_figures(tree.plan, dt.date(2026, 3, 15))
    assert figures.line(tree.root.pk).reserve == D("300000.00")
    assert figures.line(tree.obj_line.pk).reserve == D("300000.00")
    assert figures.line(tree.search_line.pk).reserve == D("100000.00")
    with pytest.raises(ValidationError) as error:
        services.line_allocate(
            actor=tree.team.marta,
            parent=tree.search_line,
            level="other",
            name="Production",
            amount=D("100000.01"),
        )
    assert (
        "Only NOK" not in str(error.value) and "100,000.00 is left" in error.value.message_dict["amount"][0]
    )
    assert_tree_sound(tree.plan)


def test_levels_and_references_are_checked_helpfully(world, globex):
    t, root = world.team, world.root
    search = services.line_allocate(
        actor=t.marta, parent=root, level="channel", channel=world.search, amount=10
    )
    with pytest.raises(ValidationError) as error:
        services.line_allocate(
            actor=t.marta, parent=search, level="campaign", campaign=world.autumn, amount=1
        )
    assert "does not run on Paid search (it runs on Email)" in error.value.message_dict["campaign"][0]
    with pytest.raises(ValidationError, match="cannot go under a channel line"):
        services.line_allocate(
            actor=t.marta, parent=search, level="objective", objective=world.objective, amount=1
        )
    with pytest.raises(ValidationError, match="Choose the channel"):
        services.line_allocate(actor=t.marta, parent=root, level="channel", amount=1)
    with pytest.raises(ValidationError, match="already has a line here"):
        services.line_allocate(actor=t.marta, parent=root, level="channel", channel=world.search, amount=1)
    with pytest.raises(ValidationError, match="Name the line"):
        services.line_allocate(actor=t.marta, parent=root, level="other", amount=1)
    from opencmo.campaigns.models import Channel

    foreign = Channel.objects.create(workspace=globex, key="tv", name="TV")
    with pytest.raises(ValidationError, match="another workspace"):
        services.line_allocate(actor=t.marta, parent=root, level="channel", channel=foreign, amount=1)
    old = make_campaign(world.ws, "Old", "old", start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 1))
    with pytest.raises(ValidationError, match="outside this plan's period"):
        services.line_allocate(actor=t.marta, parent=root, level="campaign", campaign=old, amount=1)
    retainer = services.line_allocate(
        actor=t.marta, parent=root, level="other", name="Agency retainer", amount=5
    )
    assert retainer.objective is None and retainer.name == "Agency retainer"


def test_only_the_accountable_and_admins_shape_the_tree(world, vera):
    t, root = world.team, world.root
    for outsider in (t.bob, t.olga, vera, t.carl):
        with pytest.raises(PermissionDenied):
            services.line_allocate(
                actor=outsider, parent=root, level="channel", channel=world.email, amount=1
            )
    services.line_allocate(
        actor=t.alice, parent=root, level="channel", channel=world.email, amount=1
    )  # admin


def test_resize_and_delete_return_money_and_refuse_when_money_is_booked(tree):
    t = tree.team
    with pytest.raises(ValidationError, match=r"200,000\.00 of this line is allocated"):
        services.line_resize(actor=t.marta, line=tree.search_line, amount=D("150000"))
    with pytest.raises(ValidationError, match=r"only 300,000\.00 unallocated"):
        services.line_resize(actor=t.marta, line=tree.email_line, amount=D("400000.01"))
    services.line_resize(actor=t.marta, line=tree.email_line, amount=D("400000"))
    assert services.line_delete(actor=t.marta, line=tree.email_line) == D("400000.00")
    assert selectors.plan_figures(tree.plan).root.reserve == D("400000.00")
    services.spend_create(
        actor=t.bob, workspace=tree.ws, date=dt.date(2026, 2, 3), amount=D("1200"), line=tree.spring_line
    )
    with pytest.raises(ValidationError, match="Spend is booked on “Paid search” or a line under it"):
        services.line_delete(actor=t.marta, line=tree.search_line)
    update = AuditEvent.objects.filter(object_type="budget.BudgetLine", action="update").first()
    assert update.changes["amount"] == ["100000.00", "400000.00"]
    assert AuditEvent.objects.filter(object_type="budget.BudgetLine", action="delete").exists()
    assert_tree_sound(tree.plan)


def test_resizing_the_total_changes_the_plan_total(tree):
    services.line_resize(actor=tree.team.alice, line=tree.root, amount=D("1200000"))
    assert selectors.plan_figures(tree.plan).root.reserve == D("500000.00")
    with pytest.raises(ValidationError, match=r"700,000\.00 of this line is allocated"):
        services.line_resize(actor=tree.team.alice, line=tree.root, amount=D("600000"))


# --- phasing ------------------------------------------------------------------------------------------


def test_spread_evenly_then_per_month_edits_must_add_up(tree):
    t, line = tree.team, tree.email_line
    services.phasing_spread_evenly(actor=t.marta, line=line)
    rows = list(line.months.order_by("month"))
    assert len(rows) == 12 and sum(r.planned for r in rows) == line.amount
    assert rows[0].planned == D("8333.34") and rows[-1].planned == D("8333.33")
    planned = {r.month: r.planned for r in rows}
    planned[dt.date(2026, 1, 1)] += D("0.01")
    with pytest.raises(ValidationError) as error:
        services.phasing_set(actor=t.marta, line=line, planned=planned)
    assert "add up to NOK 100,000.01 but the line holds NOK 100,000.00: they are NOK 0.01 over" in str(
        error.value
    )
    planned[dt.date(2026, 1, 1)] -= D("1000.01")
    planned[dt.date(2026, 12, 1)] += D("1000")
    services.phasing_set(actor=t.marta, line=line, planned=planned)
    with pytest.raises(PermissionDenied):
        services.phasing_set(actor=t.bob, line=line, planned=planned)
    services.forecast_set(
        actor=t.bob, line=line, forecast={dt.date(2026, 12, 1): D("12000"), dt.date(2026, 1, 1): None}
    )
    assert MonthlyAmount.objects.get(line=line, month=dt.date(2026, 12, 1)).forecast == D("12000.00")


def test_a_phased_line_keeps_adding_up_after_resize_and_reallocation(tree):
    t = tree.team
    services.phasing_spread_evenly(actor=t.marta, line=tree.email_line)
    services.line_resize(actor=t.marta, line=tree.email_line, amount=D("123456.78"))
    assert sum(m.planned for m in tree.email_line.months.all()) == D("123456.78")
    services.line_resize(actor=t.marta, line=tree.email_line, amount=D("0.05"))
    months = list(tree.email_line.months.all())
    assert sum(m.planned for m in months) == D("0.05") and all(m.planned >= 0 for m in months)


def test_copy_last_years_shape_from_its_actual_spend(world):
    t = world.team
    last = services.plan_create(
        actor=t.alice,
        workspace=world.ws,
        name="FY 2025",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        total=D("1000"),
        accountable=t.marta_p,
        responsible=[t.bob_p],
    )
    old_root = last.lines.get()
    old_email = services.line_allocate(
        actor=t.marta, parent=old_root, level="channel", channel=world.email, amount=1000
    )
    for month, amount in ((3, "300"), (11, "100")):
        services.spend_create(
            actor=t.bob, workspace=world.ws, date=dt.date(2025, month, 5), amount=amount, line=old_email
        )
    email = services.line_allocate(
        actor=t.marta, parent=world.root, level="channel", channel=world.email, amount=1000
    )
    note = services.phasing_copy_last_year(actor=t.marta, line=email)
    assert "actual spend of “Email” in FY 2025" in note
    planned = {m.month.month: m.planned for m in email.months.all()}
    assert planned[3] == D("750.00") and planned[11] == D("250.00") and planned[1] == 0
    social = services.line_allocate(
        actor=t.marta, parent=world.root, level="channel", channel=world.social, amount=9
    )
    with pytest.raises(ValidationError, match="no matching line"):
        services.phasing_copy_last_year(actor=t.marta, line=social)


# --- commitments, FX and spend ------------------------------------------------------------------------


def test_commitments_count_as_used(tree):
    t = tree.team
    services.commitment_create(
        actor=t.bob,
        line=tree.spring_line,
        supplier="Fjord Media",
        reference="PO-1",
        month=dt.date(2026, 3, 9),
        amount=D("50000"),
    )
    with pytest.raises(ValidationError, match="outside the plan's period"):
        services.commitment_create(
            actor=t.bob, line=tree.spring_line, supplier="X", month=dt.date(2027, 1, 1), amount=1
        )
    with pytest.raises(PermissionDenied):
        services.commitment_create(actor=t.olga, line=tree.spring_line, supplier="X", month=Y0, amount=1)
    figures = selectors.plan_figures(tree.plan, dt.date(2026, 3, 15))
    assert figures.line(tree.search_line.pk).committed == D("50000.00")  # rolled up
    march = figures.line(tree.spring_line.pk).pacing.months[2]
    assert march.committed == D("50000.00") and march.used == D("50000.00")


def test_foreign_spend_is_converted_at_the_rate_of_the_day_or_the_latest_earlier(tree):
    t, ws = tree.team, tree.ws
    with pytest.raises(ValidationError) as error:
        services.spend_create(
            actor=t.bob,
            workspace=ws,
            date=dt.date(2026, 3, 4),
            amount="100",
            currency="eur",
            line=tree.spring_line,
        )
    assert "No exchange rate for EUR on or before 2026-03-04" in error.value.message_dict["currency"][0]
    services.rate_set(actor=t.bob, workspace=ws, currency="EUR", date=dt.date(2026, 3, 1), rate="11.5")
    entry = services.spend_create(
        actor=t.bob,
        workspace=ws,
        date=dt.date(2026, 3, 4),
        amount="100.10",
        currency="EUR",
        line=tree.spring_line,
    )
    assert (entry.rate, entry.amount_base) == (D("11.50000000"), D("1151.15"))
    # A correction of the rate converts that spend again; a later rate does not touch it.
    services.rate_set(actor=t.bob, workspace=ws, currency="EUR", date=dt.date(2026, 3, 5), rate="12")
    services.rate_set(actor=t.bob, workspace=ws, currency="EUR", date=dt.date(2026, 3, 1), rate="11")
    entry.refresh_from_db()
    assert entry.amount_base == D("1101.10")
    with pytest.raises(ValidationError, match="uses this rate and no earlier one exists"):
        services.rate_delete(actor=t.bob, rate=ws_rate(ws, "2026-03-01"))
    with pytest.raises(ValidationError, match="workspace currency"):
        services.rate_set(actor=t.bob, workspace=ws, currency="NOK", date=Y0, rate="1")
    with pytest.raises(PermissionDenied):
        services.rate_set(actor=t.olga, workspace=ws, currency="SEK", date=Y0, rate="1")


def ws_rate(ws, day):
    from opencmo.budget.models import ExchangeRate

    return ExchangeRate.objects.get(workspace=ws, date=day)


def test_rates_csv_import_is_all_or_nothing(world):
    t, ws = world.team, world.ws
    bad = b"currency,date,rate\nEUR,2026-01-02,11.2\nusd,2026-13-01,10\nNOK,2026-01-02,1\nSEK,2026-01-02,-1\n"
    result = services.rates_import_csv(actor=t.bob, workspace=ws, data=bad)
    assert [(p.row, p.field) for p in result.problems] == [(2, "date"), (3, "currency"), (4, "rate")]
    assert not ws_rates(ws)
    good = b"currency;date;rate\nEUR;2026-01-02;11,2\nUSD;2026-01-02;10.1\n"
    result = services.rates_import_csv(actor=t.bob, workspace=ws, data=good, dry_run=True)
    assert result.ok and result.created == 2 and not ws_rates(ws)
    assert services.rates_import_csv(actor=t.bob, workspace=ws, data=good).created == 2
    assert ws_rates(ws) == {("EUR", D("11.20000000")), ("USD", D("10.10000000"))}
    assert services.rates_import_csv(actor=t.bob, workspace=ws, data=good).unchanged == 2


def ws_rates(ws):
    from opencmo.budget.models import ExchangeRate

    return {(r.currency, r.rate) for r in ExchangeRate.objects.filter(workspace=ws)}


def test_manual_spend_rules(tree, vera):
    t, ws = tree.team, tree.ws
    with pytest.raises(ValidationError, match="Choose the budget line"):
        services.spend_create(actor=t.bob, workspace=ws, date=Y0, amount=1)
    with pytest.raises(ValidationError, match="runs 2026-01-01 to 2026-12-31"):
        services.spend_create(
            actor=t.bob, workspace=ws, date=dt.date(2027, 1, 1), amount=1, line=tree.email_line
        )
    with pytest.raises(ValidationError, match="negative for a refund"):
        services.spend_create(actor=t.bob, workspace=ws, date=Y0, amount=0, line=tree.email_line)
    for reader in (vera, t.olga, t.carl):
        with pytest.raises(PermissionDenied):
            services.spend_create(actor=reader, workspace=ws, date=Y0, amount=1, line=tree.email_line)
    entry = services.spend_create(
        actor=t.bob, workspace=ws, date=dt.date(2026, 4, 2), amount="2500", campaign=tree.spring
    )
    assert entry.line == tree.spring_line and entry.channel == tree.search  # found through the campaign
    refund = services.spend_create(
        actor=t.bob, workspace=ws, date=dt.date(2026, 4, 3), amount="-500", line=tree.spring_line
    )
    assert selectors.plan_figures(tree.plan).line(tree.spring_line.pk).actual == D("2000.00")
    services.spend_delete(actor=t.bob, entry=refund)
    assert AuditEvent.objects.filter(object_type="budget.SpendEntry", action="delete").count() == 1


# --- imports and matching -----------------------------------------------------------------------------


def rows(*specs):
    return [
        {
            "date": d,
            "amount": a,
            "currency": "NOK",
            "external_campaign": name,
            "natural_key": f"google_ads:{key}",
        }
        for key, d, a, name in specs
    ]


def test_import_matches_by_code_and_is_idempotent(tree):
    t, ws = tree.team, tree.ws
    data = rows(
        ("1", "2026-03-01", "1000.50", "NO | Spring-Launch | Search"),  # the campaign code inside the name
        ("2", "2026-03-02", "999.50", "spring-launch"),
        ("3", "2026-03-02", "400", "Brand always-on"),  # unknown: waits in the queue
        ("4", "2026-03-03", "0", "Brand always-on"),  # nothing spent: skipped
    )
    result = services.spend_import_rows(actor=t.bob, workspace=ws, rows=data, platform="google_ads")
    assert (result.created, result.matched, result.unmatched, result.skipped) == (3, 2, 1, 1), (
        result.summary()
    )
    assert selectors.plan_figures(tree.plan).line(tree.spring_line.pk).actual == D("2000.00")
    events = AuditEvent.objects.count()
    again = services.spend_import_rows(actor=t.bob, workspace=ws, rows=data, platform="google_ads")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert SpendEntry.objects.filter(workspace=ws).count() == 3 and AuditEvent.objects.count() == events
    restated = rows(("2", "2026-03-02", "899.50", "spring-launch"))
    assert (
        services.spend_import_rows(actor=t.bob, workspace=ws, rows=restated, platform="google_ads").updated
        == 1
    )
    assert selectors.plan_figures(tree.plan).line(tree.spring_line.pk).actual == D("1900.00")


def test_import_reports_every_bad_row_and_saves_nothing(tree):
    t, ws = tree.team, tree.ws
    data = [
        *rows(("ok", "2026-03-01", "10", "spring-launch")),
        {
            "date": "2026-02-30",
            "amount": "x",
            "currency": "EUR",
            "external_campaign": "",
            "natural_key": "k2",
        },
        {
            "date": "2026-03-01",
            "amount": 1.5,
            "currency": "USD",
            "external_campaign": "A",
            "natural_key": "k3",
            "channel": "nope",
        },
        *rows(("ok", "2026-03-01", "10", "again")),
    ]
    result = services.spend_import_rows(actor=t.bob, workspace=ws, rows=data, platform="google_ads")
    assert [(p.row, p.field) for p in result.problems] == [
        (2, "date"),
        (2, "amount"),
        (2, "external_campaign"),
        (3, "amount"),
        (3, "channel"),
        (4, "natural_key"),
    ]
    assert "not float" in str(result.problems[3])
    assert not SpendEntry.objects.exists()
    fx = [
        {"date": "2026-03-01", "amount": "5", "currency": "USD", "external_campaign": "A", "natural_key": "k"}
    ]
    result = services.spend_import_rows(actor=t.bob, workspace=ws, rows=fx, platform="meta")
    assert str(result.problems[0]).startswith(
        "Row 1, currency: No exchange rate for USD on or before 2026-03-01"
    )
    dry = services.spend_import_rows(
        actor=t.bob, workspace=ws, rows=data[:1], platform="google_ads", dry_run=True
    )
    assert dry.ok and dry.created == 1 and not SpendEntry.objects.exists()
    with pytest.raises(PermissionDenied):
        services.spend_import_rows(actor=t.olga, workspace=ws, rows=data[:1], platform="google_ads")
    services.spend_import_rows(actor=None, workspace=ws, rows=data[:1], platform="google_ads")
    clash = services.spend_import_rows(actor=None, workspace=ws, rows=data[:1], platform="meta")
    assert clash.problems[0].field == "natural_key" and "unique across platforms" in clash.problems[0].message


def test_mapping_an_unmatched_name_matches_all_its_waiting_spend_and_future_imports(tree):
    t, ws = tree.team, tree.ws
    data = rows(("a", "2026-05-01", "300", "Brand Always-On"), ("b", "2026-05-02", "200", "Brand Always-On"))
    services.spend_import_rows(actor=t.bob, workspace=ws, rows=data, platform="google_ads")
    [group] = selectors.unmatched_groups(ws)
    assert (group["entries"], group["total"]) == (2, D("500.00"))
    mapping, count = services.unmatched_map(
        actor=t.bob,
        workspace=ws,
        platform="google_ads",
        external_campaign="Brand Always-On",
        campaign=tree.spring,
    )
    assert count == 2 and mapping.campaign == tree.spring
    assert not selectors.unmatched_groups(ws)
    assert set(SpendEntry.objects.values_list("line", flat=True)) == {tree.spring_line.pk}
    later = services.spend_import_rows(
        actor=t.bob,
        workspace=ws,
        rows=rows(("c", "2026-05-03", "50", "Brand Always-On")),
        platform="google_ads",
    )
    assert later.matched == 1 and later.unmatched == 0
    back = services.platform_mapping_delete(actor=t.bob, mapping=mapping)
    assert back == 3 and not PlatformCampaign.objects.filter(pk=mapping.pk).exists()
    assert selectors.unmatched_groups(ws)[0]["entries"] == 3


def test_spend_on_a_campaign_without_a_line_lands_on_the_line_once_created(world):
    t, ws = world.team, world.ws
    entry = services.spend_create(
        actor=t.alice, workspace=ws, date=dt.date(2026, 6, 1), amount=700, campaign=world.autumn
    )
    assert entry.line is None and selectors.without_line(ws)[0]["total"] == D("700.00")
    email = services.line_allocate(
        actor=t.marta, parent=world.root, level="channel", channel=world.email, amount=5000
    )
    line = services.line_allocate(
        actor=t.marta, parent=email, level="campaign", campaign=world.autumn, amount=5000
    )
    entry.refresh_from_db()
    assert entry.line == line and not selectors.without_line(ws)


# --- reallocations ------------------------------------------------------------------------------------


def test_small_reallocation_is_approved_by_the_marketing_manager_and_applied(tree):
    t = tree.team
    before = amounts(tree.plan)
    realloc = services.reallocation_request(
        actor=t.bob,
        from_line=tree.root,
        to_line=tree.email_line,
        amount=D("150000"),
        reason="Newsletter push",
    )
    approval = realloc.approval
    assert approval.approver == t.marta_p and approval.kind == "budget" and approval.amount == D("150000")
    assert amounts(tree.plan) == before  # nothing moves before the decision
    with pytest.raises(PermissionDenied):
        approval_decide(actor=t.bob, request=approval, approve=True)
    approval_decide(actor=t.marta, request=approval, approve=True, comment="Good idea")
    realloc.refresh_from_db()
    assert realloc.status == ReallocationRequest.Status.APPLIED and realloc.applied_at
    assert amounts(tree.plan)["Email"] == D("250000.00")
    assert selectors.plan_figures(tree.plan).root.reserve == D("150000.00")
    assert_tree_sound(tree.plan)
    history = selectors.reallocations(tree.plan)
    assert history[0]["status"] == "applied" and history[0]["approval"].decided_by == t.marta_p


def test_big_reallocations_escalate_by_decision_authority(tree):
    t = tree.team
    cmo = Role.objects.get(workspace=tree.ws, key="cmo")
    authority_set(actor=t.alice, workspace=tree.ws, kind="budget", role=cmo, max_amount=D("250000"))
    medium = services.reallocation_request(
        actor=t.bob, from_line=tree.root, to_line=tree.email_line, amount=D("150000.01"), reason="More"
    )
    assert medium.approval.approver == t.alice_p
    assert [s["name"] for s in medium.approval.route] == ["Marta", "Alice Andersen"]
    approval_decide(actor=t.alice, request=medium.approval, approve=False, comment="Not now")
    medium.refresh_from_db()
    assert medium.status == "rejected" and amounts(tree.plan)["Email"] == D("100000.00")
    big = services.reallocation_request(
        actor=t.bob, from_line=tree.root, to_line=tree.email_line, amount=D("300000"), reason="Much more"
    )
    assert big.approval.approver == t.carl_p and len(big.approval.route) == 3
    approval_decide(actor=t.carl, request=big.approval, approve=True)
    assert amounts(tree.plan)["Email"] == D("400000.00")


def test_reallocation_along_the_tree_and_consulted_sign_off(tree):
    t = tree.team
    raci_set(actor=t.alice, activity=tree.plan.activity, person=t.olga_p, letters="C")
    realloc = services.reallocation_request(
        actor=t.bob,
        from_line=tree.search_line,
        to_line=tree.email_line,
        amount=D("60000"),
        reason="Search saturated",
    )
    assert realloc.approval.status == ApprovalRequest.Status.CONSULTING
    signoff_answer(actor=t.olga, signoff=realloc.approval.signoffs.get(), agree=True)
    approval_decide(actor=t.marta, request=ApprovalRequest.objects.get(pk=realloc.approval_id), approve=True)
    got = amounts(tree.plan)
    assert (got["Paid search"], got["Grow B2C web sales"], got["Email"]) == (
        D("240000.00"),
        D("540000.00"),
        D("160000.00"),
    )
    assert_tree_sound(tree.plan)


def test_reallocation_is_rejected_if_the_reserve_is_gone_when_approved(tree):
    t = tree.team
    realloc = services.reallocation_request(
        actor=t.bob, from_line=tree.search_line, to_line=tree.email_line, amount=D("100000"), reason="x"
    )
    with pytest.raises(ValidationError, match="already asked for in open requests"):
        services.reallocation_request(
            actor=t.bob, from_line=tree.search_line, to_line=tree.email_line, amount=D("1"), reason="y"
        )
    services.line_resize(actor=t.marta, line=tree.spring_line, amount=D("250000"))  # eats the reserve
    approval_decide(actor=t.marta, request=realloc.approval, approve=True)
    realloc.refresh_from_db()
    assert realloc.status == "rejected" and amounts(tree.plan)["Email"] == D("100000.00")
    [row] = selectors.reallocations(tree.plan)
    assert "now has only NOK 50,000.00 unallocated" in row["outcome"]
    assert Notification.objects.filter(
        recipient=t.bob, subject__startswith="Reallocation not applied"
    ).exists()


def test_reallocation_rules(tree):
    t = tree.team
    with pytest.raises(PermissionDenied):
        services.reallocation_request(
            actor=t.olga, from_line=tree.root, to_line=tree.email_line, amount=1, reason="x"
        )
    with pytest.raises(ValidationError, match=r"only 300,000\.00 unallocated"):
        services.reallocation_request(
            actor=t.bob, from_line=tree.root, to_line=tree.email_line, amount=D("300000.01"), reason="x"
        )
    with pytest.raises(ValidationError, match="Say why"):
        services.reallocation_request(
            actor=t.bob, from_line=tree.root, to_line=tree.email_line, amount=1, reason=" "
        )
    realloc = services.reallocation_request(
        actor=t.bob, from_line=tree.root, to_line=tree.email_line, amount=1, reason="x"
    )
    with pytest.raises(PermissionDenied):
        services.reallocation_withdraw(actor=t.marta, reallocation=realloc)
    services.reallocation_withdraw(actor=t.bob, reallocation=realloc)
    realloc.refresh_from_db()
    assert realloc.status == "withdrawn" and realloc.approval.status == "withdrawn"


# --- alerts and efficiency ----------------------------------------------------------------------------


def test_overspend_alerts_go_to_the_line_accountable_once_per_month(tree, django_capture_on_commit_callbacks):
    t = tree.team
    services.line_update(actor=t.marta, line=tree.spring_line, accountable=t.bob_p)
    services.phasing_spread_evenly(actor=t.marta, line=tree.spring_line)  # 16,666.67 a month
    services.spend_create(
        actor=t.bob, workspace=tree.ws, date=dt.date(2026, 1, 20), amount="40000", line=tree.spring_line
    )
    found = alerts.run(workspace=tree.ws, today=dt.date(2026, 1, 25))
    spring = [a for a in found if a.line_name == "Spring launch"]
    assert (
        spring
        and spring[0].kind == "over"
        and spring[0].recipients == ["bob@acme.example"]
        and spring[0].sent
    )
    note = Notification.objects.get(recipient=t.bob, subject="Over plan: “Spring launch” in January 2026")
    assert "NOK 40,000.00 against NOK 16,666.67" in note.body
    # Lines without their own A alert the plan's A (Marta); the chain above stays quiet unless it is off pace.
    assert Notification.objects.filter(recipient=t.marta, subject__contains="Spring launch").count() == 0
    again = alerts.run(workspace=tree.ws, today=dt.date(2026, 1, 26))
    assert not any(a.sent for a in again)
    assert Notification.objects.filter(recipient=t.bob, subject__startswith="Over plan").count() == 1


def test_underspend_alerts_only_late_in_the_month(tree):
    t = tree.team
    services.plan_update(actor=t.marta, plan=tree.plan, status="draft")
    assert not alerts.run(workspace=tree.ws, today=dt.date(2026, 2, 21))  # a draft is not being spent yet
    services.plan_update(actor=t.marta, plan=tree.plan, status="active")
    assert not [a for a in alerts.run(workspace=tree.ws, today=dt.date(2026, 2, 10)) if a.kind == "under"]
    late = alerts.run(workspace=tree.ws, today=dt.date(2026, 2, 21))
    under = {a.line_name for a in late if a.kind == "under"}
    assert {"Spring launch", "Email", "Total FY 2026"} <= under
    assert Notification.objects.filter(
        recipient=t.marta, subject="Under plan: “Email” in February 2026"
    ).exists()


def test_alert_task_and_command(tree, capsys):
    from django.core.management import call_command

    services.spend_create(
        actor=tree.team.bob, workspace=tree.ws, date=dt.date(2026, 1, 3), amount="90000", line=tree.email_line
    )
    result = alerts.budget_alerts.enqueue(workspace_id=tree.ws.pk, today="2026-01-10")
    assert result.return_value >= 1
    call_command("budget-alerts", "--workspace", "acme", "--date", "2026-01-10")
    assert "already sent" in capsys.readouterr().out


def test_efficiency_from_objective_kpi_actuals(tree):
    t = tree.team
    for key, unit, values in (
        ("leads", "count", ["100", "150"]),
        ("customers", "count", ["20"]),
        ("revenue", "currency", ["90000"]),
        ("gross_margin", "percent", ["40"]),
    ):
        kpi = Kpi.objects.create(
            workspace=tree.ws,
            objective=tree.objective,
            name=key,
            unit=unit,
            target=1,
            period_start=Y0,
            period_end=Y1,
            metric_key=key,
            cumulative=key != "gross_margin",
        )
        for i, value in enumerate(values):
            KpiActual.objects.create(workspace=tree.ws, kpi=kpi, date=dt.date(2026, 2, 1 + i), value=D(value))
    services.spend_create(
        actor=t.bob, workspace=tree.ws, date=dt.date(2026, 2, 1), amount="10000", line=tree.spring_line
    )
    figures = selectors.plan_figures(tree.plan, dt.date(2026, 3, 1))
    e = figures.line(tree.obj_line.pk).efficiency
    assert (e.cost_per_lead, e.cac, e.roas, e.roi) == (D("40.00"), D("500.00"), D("9.0000"), D("2.6000"))
    assert figures.line(tree.email_line.pk).efficiency is None
    assert figures.root.efficiency.leads == D("250")
