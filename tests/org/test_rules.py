"""Property-based tests of the RACI rules (pure functions, no database)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from opencmo.org.rules import (
    ActivityFacts,
    PersonFacts,
    Policy,
    activity_findings,
    org_findings,
    role_findings,
    workload_findings,
)

PEOPLE_IDS = st.integers(min_value=1, max_value=6)
ROLES = st.sampled_from(["cmo", "marketing_manager", "sales", "analyst", "designer"])


@st.composite
def people(draw):
    ids = range(1, 7)
    return {
        i: PersonFacts(
            i,
            f"P{i}",
            frozenset(draw(st.sets(ROLES, max_size=2))),
            draw(st.booleans()),
            draw(st.one_of(st.none(), PEOPLE_IDS)),
        )
        for i in ids
    }


@st.composite
def activities(draw, activity_id=1):
    letters = {letter: frozenset(draw(st.sets(PEOPLE_IDS, max_size=3))) for letter in "RACI"}
    return ActivityFacts(activity_id, f"Act{activity_id}", letters, draw(st.booleans()), draw(st.booleans()))


def codes(findings):
    return {f.code for f in findings}


@given(people(), activities())
def test_exactly_one_accountable_is_required(staff, activity):
    found = codes(activity_findings(activity, staff, Policy()))
    n = len(activity.who("A"))
    assert ("no_accountable" in found) == (n == 0)
    assert ("several_accountable" in found) == (n > 1)


@given(people(), activities())
def test_at_least_one_responsible(staff, activity):
    found = codes(activity_findings(activity, staff, Policy()))
    assert ("no_responsible" in found) == (not activity.who("R"))


@given(people(), activities())
def test_accountable_and_informed_is_flagged_per_person(staff, activity):
    flagged = {
        f.person_id
        for f in activity_findings(activity, staff, Policy())
        if f.code == "accountable_and_informed"
    }
    assert flagged == set(activity.who("A") & activity.who("I"))


@given(people(), activities(), st.booleans())
def test_self_approval_warning_when_the_one_accountable_is_also_responsible(staff, activity, allow):
    found = [
        f
        for f in activity_findings(activity, staff, Policy(allow_recorded_self_approval=allow))
        if f.code == "self_approval"
    ]
    a = activity.who("A")
    expected = activity.is_open and len(a) == 1 and a <= activity.who("R")
    assert bool(found) == expected
    if found:
        assert ("record a self-approval" in found[0].message) == allow
        assert found[0].severity == "warning"


@given(people(), activities())
def test_lead_activities_need_sales_involved(staff, activity):
    found = codes(activity_findings(activity, staff, Policy()))
    involved = set().union(*(activity.who(x) for x in "RACI"))
    has_sales = any("sales" in staff[p].roles for p in involved)
    assert ("sales_not_informed" in found) == (activity.creates_leads and not has_sales)


@given(people(), activities())
def test_errors_never_for_a_well_formed_matrix(staff, activity):
    """A matrix with exactly one A, some R and no A-as-I yields no errors."""
    a = next(iter(activity.who("A")), 1)
    r = activity.who("R") or frozenset({2})
    fixed = ActivityFacts(
        1,
        "ok",
        {"A": frozenset({a}), "R": r, "C": activity.who("C"), "I": activity.who("I") - {a}},
        activity.is_open,
        False,
    )
    assert not [f for f in activity_findings(fixed, staff, Policy()) if f.is_error]


@settings(max_examples=50)
@given(
    people(),
    st.lists(activities(), min_size=1, max_size=8),
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=0, max_value=4),
)
def test_workload_limits(staff, acts, max_a, max_r):
    acts = [ActivityFacts(i, a.name, a.letters, a.is_open) for i, a in enumerate(acts)]
    found = workload_findings(acts, staff, Policy(max_a, max_r))
    for pid in staff:
        n_a = sum(pid in a.who("A") for a in acts if a.is_open)
        n_r = sum(pid in a.who("R") for a in acts if a.is_open)
        assert any(f.code == "accountable_overload" and f.person_id == pid for f in found) == (n_a > max_a)
        assert any(f.code == "responsible_overload" and f.person_id == pid for f in found) == (n_r > max_r)


@given(people())
def test_org_rules_terminate_and_find_every_cycle(staff):
    found = org_findings(staff)

    def in_cycle(pid):
        seen, cur = set(), staff[pid].manager_id
        while cur is not None and cur in staff and cur not in seen:
            if cur == pid:
                return True
            seen.add(cur)
            cur = staff[cur].manager_id
        return False

    for pid, person in staff.items():
        flagged = {f.code for f in found if f.person_id == pid}
        if person.manager_id == pid:
            assert "reports_to_self" in flagged
        else:
            assert ("reporting_cycle" in flagged) == in_cycle(pid)
    has_cmo = any("cmo" in p.roles and p.active for p in staff.values())
    assert ("no_cmo" in codes(found)) == (not has_cmo)


def test_roles_without_activity():
    staff = {1: PersonFacts(1, "Ann", frozenset({"cmo"})), 2: PersonFacts(2, "Bo", frozenset({"seo"}))}
    acts = [ActivityFacts(1, "Plan", {"A": frozenset({1}), "R": frozenset({1})})]
    found = role_findings(acts, staff, {"seo": "SEO specialist"}, roles_on_raci=[])
    assert [(f.code, f.role_key) for f in found] == [("role_without_activity", "seo")]
    assert "SEO specialist" in found[0].message
    assert role_findings(acts, staff, {}, roles_on_raci=["seo"]) == []


def test_worked_example_messages_name_people_and_activity():
    staff = {1: PersonFacts(1, "Liv", frozenset({"cmo"})), 2: PersonFacts(2, "Nora")}
    act = ActivityFacts(7, "Board report", {"A": frozenset({1, 2}), "I": frozenset({1})})
    messages = [f.message for f in activity_findings(act, staff, Policy())]
    assert "“Board report” has 2 people Accountable (Liv, Nora); it needs exactly one A." in messages
    assert "“Board report” has nobody Responsible; at least one R must do the work." in messages
    assert any(m.startswith("Liv is both Accountable and Informed") for m in messages)
