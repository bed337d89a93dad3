"""The org chart: pure layout properties first, then the page and its SVG download."""

import random
import xml.etree.ElementTree as ET
from collections import defaultdict
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencmo.org import chart
from opencmo.org.chart import ChartNode, Layout, layout, to_svg
from opencmo.org.models import Person, Role
from opencmo.org.services import person_create, person_update

M = chart.DEFAULT_METRICS
SVG_NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str | bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it is well-formed XML


def node(i: int, manager: int | None = None, name: str | None = None, **extra) -> ChartNode:
    return ChartNode(id=i, name=name or f"P{i:03d}", manager_id=manager, **extra)


def assert_tidy(result: Layout, nodes: list[ChartNode]) -> None:
    """Every node placed once, no two boxes overlapping on a level, parents centred over children."""
    ids = sorted({n.id for n in nodes})
    assert sorted(b.node.id for b in result.boxes) == ids
    levels: dict[float, list] = defaultdict(list)
    for box in result.boxes:
        levels[box.y].append(box)
        assert box.x >= 0 and box.right <= result.width
        assert box.y >= 0 and box.y + box.height <= result.height
    for row in levels.values():
        row.sort(key=lambda b: b.x)
        for left, right in pairwise(row):
            assert right.x >= left.right + M.h_gap - 1e-9, (left.node.name, right.node.name)
    children: dict[int, list] = defaultdict(list)
    for box in result.boxes:
        if box.parent_id is not None:
            children[box.parent_id].append(box)
    for parent_id, kids in children.items():
        parent = result.box(parent_id)
        kids.sort(key=lambda b: b.x)
        assert all(k.y > parent.y and k.depth == parent.depth + 1 for k in kids)
        assert parent.centre_x == pytest.approx((kids[0].centre_x + kids[-1].centre_x) / 2)
    assert len(result.connectors) == sum(len(k) for k in children.values())


def test_a_parent_sits_centred_over_its_children():
    nodes = [node(1), node(2, 1), node(3, 1), node(4, 1), node(5, 2), node(6, 2)]
    result = layout(nodes)
    assert_tidy(result, nodes)
    assert result.roots == (1,)
    ceo, first, last = result.box(1), result.box(3), result.box(4)
    assert first.x < result.box(2).x < last.x  # the manager in the middle, the others either side
    assert ceo.centre_x == pytest.approx((first.centre_x + last.centre_x) / 2)
    # P002's subtree (two children) is wider than a box, so its siblings move aside for it.
    assert first.right + M.h_gap <= result.box(5).x
    assert result.box(6).right + M.h_gap <= last.x


def test_siblings_managers_in_the_middle_others_alphabetically_either_side():
    nodes = [node(1), *(node(i, 1, name=n) for i, n in [(2, "Ann"), (3, "Bo"), (4, "Cy"), (5, "Di")])]
    nodes += [node(6, 4), node(7, 2)]  # Cy and Ann manage someone
    result = layout(nodes)
    row = sorted((b for b in result.boxes if b.depth == 1), key=lambda b: b.x)
    assert [b.node.name for b in row] == ["Bo", "Ann", "Cy", "Di"]


def test_separate_trees_stand_side_by_side_largest_first():
    nodes = [node(1, name="Zed"), node(2, name="Amy"), node(3, 2), node(4, name="Bo")]
    result = layout(nodes)
    assert_tidy(result, nodes)
    assert result.roots == (2, 4, 1)  # the two-person tree, then lone people by name
    assert result.box(4).x >= result.box(3).right + M.root_gap


def test_self_reports_and_cycles_terminate_and_every_node_is_drawn_as_a_root():
    nodes = [
        node(1, 1, "Selfie"),  # reports to themselves
        node(2, 3, "Cy A"),
        node(3, 4, "Cy B"),
        node(4, 2, "Cy C"),  # 2 -> 3 -> 4 -> 2
        node(5, 2, "Hangs off the cycle"),
        node(6, 99, "Manager gone"),  # manager not on the chart (inactive or deleted)
    ]
    result = layout(nodes)
    assert_tidy(result, nodes)
    assert result.in_cycle == {1, 2, 3, 4}
    assert set(result.roots) == {1, 2, 3, 4, 6}
    assert result.box(5).parent_id == 2  # reporting into a cycle keeps its manager
    assert all(result.box(i).detached for i in (1, 2, 3, 4, 6))
    assert not result.box(5).detached


def test_a_very_long_reporting_chain_does_not_recurse():
    nodes = [node(0)] + [node(i, i - 1) for i in range(1, 3000)]
    result = layout(nodes)
    assert result.box(2999).depth == 2999
    assert len(result.connectors) == 2999


def test_empty_chart():
    result = layout([])
    assert result.boxes == () and result.width > 0
    parse(to_svg(result))


def test_output_is_deterministic_whatever_the_input_order():
    rng = random.Random(7)
    nodes = [node(i, rng.choice([None, *range(1, 40)]), name=f"N{rng.randint(0, 5)}") for i in range(1, 40)]
    first = layout(nodes)
    for _ in range(5):
        shuffled = nodes[:]
        rng.shuffle(shuffled)
        again = layout(shuffled)
        assert again == first
        assert to_svg(again) == to_svg(first)


managers = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.lists(st.one_of(st.none(), st.integers(0, n + 3)), min_size=n, max_size=n)
)


@settings(max_examples=150, deadline=None)
@given(managers)
def test_any_reporting_lines_give_a_tidy_forest(manager_of):
    nodes = [node(i, m) for i, m in enumerate(manager_of)]
    result = layout(nodes)
    assert_tidy(result, nodes)
    drawn_parents = {b.node.id: b.parent_id for b in result.boxes}
    for i, parent in drawn_parents.items():
        seen = {i}
        while parent is not None:  # the drawn forest never loops
            assert parent not in seen
            seen.add(parent)
            parent = drawn_parents[parent]


def test_svg_escapes_every_text_and_stays_valid_xml():
    nasty = "<script>alert(\"x\")</script> & 'co' \x07"
    nodes = [
        node(1, name=nasty, title='CEO "&" <b>', hats=("A<b>", "B&C")),
        node(2, 1, name="Ext", external=True, organisation="Fjord & <Fjell>"),
    ]
    svg = to_svg(layout(nodes), href=lambda pk: f"/p/{pk}/?a=1&b=<2>", title="Chart <of> & co")
    assert "<script>" not in svg and "<b>" not in svg and "<Fjell>" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg and "&quot;" in svg
    root = parse(svg)  # parses: nothing unescaped, no control characters
    links = root.findall(f".//{SVG_NS}a")
    assert [a.get("href") for a in links] == ["/p/1/?a=1&b=<2>", "/p/2/?a=1&b=<2>"]
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    assert "2 hats" in texts and "Fjord & <Fjell>" in texts  # the agency on its own line


def test_svg_marks_several_hats_and_external_people():
    result = layout(
        [node(1, hats=("CMO", "Marketing manager")), node(2, 1, external=True, organisation="Ag")]
    )
    svg = to_svg(result)
    assert svg.count("2 hats") == 1
    assert 'class="node external"' in svg and 'stroke-dasharray="5 3"' in svg
    assert svg.count("<path ") == 1  # one reporting line


def test_long_names_are_shortened_but_kept_in_the_tooltip():
    long = "Maximiliana Wilhelmina Bartholomew-Featherstonehaugh"
    svg = to_svg(layout([node(1, name=long)]))
    assert f"<title>{long}</title>" in svg
    assert "…" in svg


# --- the page ---------------------------------------------------------------------------------------


def people_links(page: str) -> set[str]:
    return {
        a.get("href") for a in parse(page[page.index("<svg") : page.index("</svg>") + 6]).iter(f"{SVG_NS}a")
    }


@pytest.mark.django_db
def test_chart_shows_every_active_person_linked_to_their_page(client, alice, acme, bob):
    gone = person_create(actor=alice, workspace=acme, name="Gone Person", is_active=False)
    client.force_login(alice)
    response = client.get("/w/acme/org/chart/")
    assert response.status_code == 200
    page = response.content.decode()
    active = Person.objects.filter(workspace=acme, is_active=True)
    assert people_links(page) == {f"/w/acme/org/people/{p.pk}/" for p in active}
    for person in active:
        assert person.name in page
    assert "Gone Person" not in page and f"/org/people/{gone.pk}/" not in page


@pytest.mark.django_db
def test_viewer_sees_the_chart(client, vera, acme):
    client.force_login(vera)
    assert client.get("/w/acme/org/chart/").status_code == 200


@pytest.mark.django_db
def test_flags_appear_when_the_cmo_hat_is_removed(client, alice, acme):
    client.force_login(alice)
    page = client.get("/w/acme/org/chart/").content.decode()
    assert "Nobody wears the CMO hat" not in page and 'data-testid="org-flags-ok"' in page
    boss = Person.objects.get(workspace=acme, user=alice)
    person_update(actor=alice, person=boss, roles=[])
    page = client.get("/w/acme/org/chart/").content.decode()
    assert 'data-testid="org-flags"' in page and "Nobody wears the CMO hat" in page
    # Only organisation findings: RACI findings belong to the role review, not the chart.
    assert "has nobody Accountable" not in page


@pytest.mark.django_db
def test_flags_for_an_inactive_manager(client, alice, acme):
    boss = Person.objects.get(workspace=acme, user=alice)
    deputy = person_create(actor=alice, workspace=acme, name="Deputy", reports_to=boss)
    person_create(actor=alice, workspace=acme, name="Trainee", reports_to=deputy)
    person_update(actor=alice, person=deputy, is_active=False)
    client.force_login(alice)
    page = client.get("/w/acme/org/chart/").content.decode()
    assert "Trainee reports to Deputy, who is no longer active." in page
    assert "Trainee" in page[page.index("<svg") :]  # still drawn, as a root of its own


@pytest.mark.django_db
def test_a_hostile_name_is_escaped_in_the_chart(client, alice, acme):
    person_create(
        actor=alice,
        workspace=acme,
        name='<script>&"',
        title="<img src=x onerror=alert(1)>",
        roles=[Role.objects.get(workspace=acme, key="seo"), Role.objects.get(workspace=acme, key="analyst")],
    )
    client.force_login(alice)
    page = client.get("/w/acme/org/chart/").content.decode()
    assert '<script>&"' not in page and "<img src=x" not in page
    assert "&lt;script&gt;&amp;&quot;" in page
    assert "2 hats" in page


@pytest.mark.django_db
def test_download_svg(client, alice, acme):
    person_create(actor=alice, workspace=acme, name='<script>&"')
    client.force_login(alice)
    page = client.get("/w/acme/org/chart/").content.decode()
    assert 'href="/w/acme/org/chart.svg"' in page
    response = client.get("/w/acme/org/chart.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Content-Disposition"] == 'attachment; filename="acme-org-chart.svg"'
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(response.content)
    assert root.tag == f"{SVG_NS}svg"
    names = {t.text for t in root.iter(f"{SVG_NS}text")}
    assert {"Alice Andersen", "Acme Specialist", '<script>&"'} <= names
    boss = Person.objects.get(workspace=acme, user=alice)
    assert f"http://testserver/w/acme/org/people/{boss.pk}/" in {
        a.get("href") for a in root.iter(f"{SVG_NS}a")
    }
