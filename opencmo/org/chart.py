"""Org chart: a tidy-tree layout of people and their reporting lines, drawn as SVG.

Pure Python (no Django) so the geometry can be unit-tested and one drawing serves both the page and the
"Download SVG" file. Each subtree is given its own width, children sit side by side under their parent
and a parent is centred over its first and last child. Separate trees (and people whose manager is
missing, or whose reporting line loops) are drawn as roots side by side, largest first.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

Point = tuple[float, float]


@dataclass(frozen=True)
class ChartNode:
    id: int
    name: str
    title: str = ""
    hats: tuple[str, ...] = ()
    manager_id: int | None = None
    external: bool = False
    organisation: str = ""


@dataclass(frozen=True)
class Metrics:
    box_width: float = 164
    box_height: float = 80
    h_gap: float = 16  # between sibling subtrees
    v_gap: float = 40  # between levels; connectors bend halfway
    root_gap: float = 40  # between separate trees
    margin: float = 16


DEFAULT_METRICS = Metrics()


@dataclass(frozen=True)
class Box:
    node: ChartNode
    x: float
    y: float
    width: float
    height: float
    depth: int
    parent_id: int | None
    detached: bool = False  # has a manager_id but is drawn as a root (manager missing, or a cycle)

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class Connector:
    parent_id: int
    child_id: int
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        (x0, y0), *rest = self.points
        return f"M{num(x0)},{num(y0)}" + "".join(f" L{num(x)},{num(y)}" for x, y in rest)


@dataclass(frozen=True)
class Layout:
    boxes: tuple[Box, ...]
    connectors: tuple[Connector, ...]
    width: float
    height: float
    roots: tuple[int, ...]
    in_cycle: frozenset[int]  # ids whose reporting line loops back to themselves (self-reports included)

    def box(self, node_id: int) -> Box:
        return next(b for b in self.boxes if b.node.id == node_id)


def num(value: float) -> str:
    """Stable, locale-free number text for SVG attributes."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _sort_key(node: ChartNode) -> tuple[str, int]:
    return (node.name.casefold(), node.id)


def _balanced(kids: list[int], by_id: dict[int, ChartNode], children: dict[int, list[int]]) -> list[int]:
    """Sibling order: people who manage others in the middle, everyone else split alphabetically to
    either side, so a manager sits over the middle of their team and wide teams do not lean one way."""
    managers = sorted((k for k in kids if children[k]), key=lambda k: _sort_key(by_id[k]))
    others = sorted((k for k in kids if not children[k]), key=lambda k: _sort_key(by_id[k]))
    half = len(others) // 2
    return others[:half] + managers + others[half:]


def parents(nodes: dict[int, ChartNode]) -> tuple[dict[int, int | None], frozenset[int]]:
    """Each node's parent in the drawn forest, and the nodes cut loose because their line loops.

    A manager that is not among the nodes (inactive, deleted, other workspace) makes a root. Every node
    on a reporting cycle (a self-report is a cycle of one) becomes a root too; people reporting into the
    cycle from outside keep their manager. Each node is walked at most once: O(n), always terminates.
    """
    parent: dict[int, int | None] = {
        i: n.manager_id if n.manager_id in nodes and n.manager_id != i else None for i, n in nodes.items()
    }
    in_cycle = {i for i, n in nodes.items() if n.manager_id == i}
    done: set[int] = set()
    for start in sorted(nodes):
        path: list[int] = []
        on_path: set[int] = set()
        current = start
        while current is not None and current not in done and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = parent[current]
        if current is not None and current in on_path:  # the walk came back round: a cycle
            in_cycle.update(path[path.index(current) :])
        done.update(path)
    for i in in_cycle:
        parent[i] = None
    return parent, frozenset(in_cycle)


def layout(nodes: Iterable[ChartNode], metrics: Metrics = DEFAULT_METRICS) -> Layout:
    """Position every node (duplicate ids: the first wins) as a tidy forest."""
    by_id: dict[int, ChartNode] = {}
    for node in nodes:
        by_id.setdefault(node.id, node)
    parent, in_cycle = parents(by_id)
    children: dict[int, list[int]] = {i: [] for i in by_id}
    for i, p in parent.items():
        if p is not None:
            children[p].append(i)

    # Top-down order (depth first, parents before children); reversed, it visits children first.
    # Iterative throughout, so a very long reporting chain cannot hit the recursion limit.
    roots = [i for i, p in parent.items() if p is None]
    order: list[int] = []
    depth: dict[int, int] = {}
    for root in roots:
        depth[root] = 0
        queue = [root]
        while queue:
            current = queue.pop()
            order.append(current)
            for kid in children[current]:
                depth[kid] = depth[current] + 1
                queue.append(kid)

    m = metrics
    size = {i: 1 for i in by_id}
    span: dict[int, float] = {}  # width reserved for each subtree
    for i in reversed(order):
        kids = children[i]
        size[i] += sum(size[k] for k in kids)
        row = sum(span[k] for k in kids) + m.h_gap * (len(kids) - 1)
        span[i] = max(m.box_width, row)

    for i, kids in children.items():
        children[i] = _balanced(kids, by_id, children)
    roots.sort(key=lambda i: (-size[i], *_sort_key(by_id[i])))  # the largest tree first
    left: dict[int, float] = {}
    cursor = m.margin
    for root in roots:
        left[root] = cursor
        cursor += span[root] + m.root_gap
    for i in sorted(order, key=lambda i: depth[i]):  # parents before children
        kids = children[i]
        row = sum(span[k] for k in kids) + m.h_gap * (len(kids) - 1)
        x = left[i] + (span[i] - row) / 2 if kids else left[i]
        for kid in kids:
            left[kid] = x
            x += span[kid] + m.h_gap

    centre: dict[int, float] = {}
    for i in reversed(order):  # children before parents
        kids = children[i]
        centre[i] = (centre[kids[0]] + centre[kids[-1]]) / 2 if kids else left[i] + span[i] / 2

    level = m.box_height + m.v_gap
    boxes = {
        i: Box(
            node=by_id[i],
            x=centre[i] - m.box_width / 2,
            y=m.margin + depth[i] * level,
            width=m.box_width,
            height=m.box_height,
            depth=depth[i],
            parent_id=parent[i],
            detached=parent[i] is None and by_id[i].manager_id is not None,
        )
        for i in by_id
    }
    connectors = []
    for i in order:
        p = parent[i]
        if p is None:
            continue
        top, bottom = boxes[i], boxes[p]
        bend = bottom.y + bottom.height + m.v_gap / 2
        connectors.append(
            Connector(
                p,
                i,
                (
                    (bottom.centre_x, bottom.y + bottom.height),
                    (bottom.centre_x, bend),
                    (top.centre_x, bend),
                    (top.centre_x, top.y),
                ),
            )
        )
    max_depth = max(depth.values(), default=0)
    ordered = tuple(boxes[i] for i in sorted(boxes, key=lambda i: (depth[i], boxes[i].x)))
    return Layout(
        boxes=ordered,
        connectors=tuple(sorted(connectors, key=lambda c: (c.parent_id, c.child_id))),
        width=(cursor - m.root_gap + m.margin) if roots else 2 * m.margin,
        height=2 * m.margin + (max_depth + 1) * m.box_height + max_depth * m.v_gap if roots else 2 * m.margin,
        roots=tuple(roots),
        in_cycle=in_cycle,
    )


# --- SVG -------------------------------------------------------------------------------------------

INK, MUTED, BRAND, BRAND_2, WARN, BAD, LINE = (
    "#1d2733",
    "#5f6b7a",
    "#2f5d8a",
    "#e8f0f8",
    "#b26b00",
    "#b3261e",
    "#9aa5b1",
)
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif'
PAD = 10
# Rough advance widths (px per character) for truncating text that SVG cannot wrap.
NAME_CHAR, TITLE_CHAR, HAT_CHAR, PILL_CHAR = 7.8, 6.1, 6.1, 5.9


def _clean(text: str) -> str:
    """Drop characters XML 1.0 forbids (control characters), so a stray one cannot break the file."""
    return "".join(c if c >= " " or c == "\t" else " " for c in text)


def _x(text: str) -> str:
    return escape(_clean(text), quote=True)


def _fit(text: str, width: float, char_width: float) -> str:
    text = " ".join(_clean(text).split())
    limit = max(1, int(width / char_width))
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _pill(right: float, y: float, label: str, fill: str, colour: str) -> tuple[str, float]:
    """A small rounded label ending at `right`; returns the markup and its width."""
    width = len(label) * PILL_CHAR + 10
    x = right - width
    svg = (
        f'<rect x="{num(x)}" y="{num(y - 11)}" width="{num(width)}" height="15" rx="7.5" fill="{fill}"/>'
        f'<text x="{num(x + width / 2)}" y="{num(y)}" text-anchor="middle" font-size="10" '
        f'font-weight="600" fill="{colour}">{_x(label)}</text>'
    )
    return svg, width


def _wrap(text: str, width: float, char_width: float, lines: int) -> list[str]:
    """Greedy word wrap into at most `lines` lines; the last one is shortened if text remains."""
    words = " ".join(_clean(text).split()).split(" ") if text.strip() else []
    limit = max(1, int(width / char_width))
    out: list[str] = []
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= limit:
            line += " " + words.pop(0)
        out.append(line)
    if words and out:
        out[-1] = _fit(f"{out[-1]} {' '.join(words)}", width, char_width)
    return [_fit(line, width, char_width) for line in out]


def _text(y: float, size: float, colour: str, text: str, weight: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return f'<text x="{PAD}" y="{num(y)}" font-size="{num(size)}"{bold} fill="{colour}">{_x(text)}</text>'


def _box_svg(box: Box, href: str | None) -> str:
    node, w, h = box.node, box.width, box.height
    inner = w - 2 * PAD
    fill, stroke, dash = (
        ("#fff8ee", WARN, ' stroke-dasharray="5 3"') if node.external else ("#fff", BRAND, "")
    )
    parts = [
        f'<rect class="frame" width="{num(w)}" height="{num(h)}" rx="8" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="1.5"{dash}/>',
        _text(20, 13, INK, _fit(node.name, inner, NAME_CHAR), "700"),
    ]
    # Two lines under the name: a long title wraps; an external person's organisation takes line two.
    if node.external:
        details = [_fit(node.title, inner, TITLE_CHAR)] if node.title else []
        details.append(_fit(node.organisation or "External", inner, TITLE_CHAR))
        colours = [MUTED] * (len(details) - 1) + [WARN]
    else:
        details = _wrap(node.title, inner, TITLE_CHAR, 2)
        colours = [MUTED] * len(details)
    for n, (line, colour) in enumerate(zip(details, colours, strict=True)):
        parts.append(_text(37 + 14 * n, 11, colour, line, "600" if colour == WARN else ""))
    hat_room = inner
    hat_y = h - 10
    if len(node.hats) > 1:
        pill, used = _pill(w - 6, hat_y, f"{len(node.hats)} hats", BRAND, "#fff")
        parts.append(pill)
        hat_room -= used + 4
    hats = " · ".join(node.hats) if node.hats else "no role"
    parts.append(_text(hat_y, 11, BRAND if node.hats else MUTED, _fit(hats, hat_room, HAT_CHAR)))
    tooltip = " — ".join(
        s
        for s in (
            node.name,
            node.title,
            node.organisation,
            f"Hats: {', '.join(node.hats)}" if node.hats else "",
            "Reporting line not shown (manager missing or a cycle)" if box.detached else "",
        )
        if s
    )
    label = ", ".join(s for s in (node.name, node.title) if s)
    body = f"<title>{_x(tooltip)}</title>" + "".join(parts)
    move = f'transform="translate({num(box.x)},{num(box.y)})"'
    attrs = f'class="node{" external" if node.external else ""}" data-person="{node.id}"'
    if href is None:
        return f'<g {attrs} {move} aria-label="{_x(label)}">{body}</g>'
    return f'<a {attrs} href="{_x(href)}" aria-label="{_x(label)}"><g {move}>{body}</g></a>'


def to_svg(
    chart: Layout,
    *,
    href: Callable[[int], str] | None = None,
    title: str = "Org chart",
    standalone: bool = False,
) -> str:
    """The chart as SVG markup. Every piece of text is escaped; `href(person_id)` makes boxes links.
    `standalone` adds the XML declaration for a downloaded file."""
    width, height = num(chart.width), num(chart.height)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else "",
        f'<svg xmlns="http://www.w3.org/2000/svg" class="orgchart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{_x(FONT)}" role="group" '
        f'aria-label="{_x(title)}" data-testid="org-chart">',
        f"<title>{_x(title)}</title>",
        f'<g class="links" fill="none" stroke="{LINE}" stroke-width="1.5">',
        *(f'<path d="{c.path}"/>' for c in chart.connectors),
        "</g>",
    ]
    # A loose dashed stub above people whose reporting line cannot be drawn.
    for box in chart.boxes:
        if box.detached:
            x = num(box.centre_x)
            out.append(
                f'<path class="loose" d="M{x},{num(box.y - 12)} L{x},{num(box.y)}" stroke="{BAD}" '
                'stroke-width="1.5" stroke-dasharray="3 2"/>'
            )
    out += [_box_svg(box, href(box.node.id) if href else None) for box in chart.boxes]
    out.append("</svg>")
    return "".join(out)
