"""Campaign overlap warnings, as pure functions (no Django, property-tested).

Two campaigns collide when they aim at the same segment, share at least one channel and run on at least
one common day (both end dates inclusive): the audience gets the same pitch twice, the channels compete
for the same budget and frequency caps, and results cannot be told apart. A campaign without a segment
never collides: "no segment" is not one segment.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Span:
    """What the overlap rule needs to know about one campaign."""

    id: int
    start: date
    end: date
    segment_id: int | None
    channel_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Overlap:
    """Two colliding campaigns (`first` has the lower id), the days they share and the shared channels."""

    first: int
    second: int
    start: date
    end: date
    channel_ids: frozenset[int]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def other(self, campaign_id: int) -> int:
        return self.second if campaign_id == self.first else self.first


def dates_intersect(a: Span, b: Span) -> bool:
    """Inclusive ranges: a campaign ending on the 10th and one starting on the 10th share that day."""
    return a.start <= b.end and b.start <= a.end


def overlap(a: Span, b: Span) -> Overlap | None:
    """The collision of two campaigns, or None. Symmetric: overlap(a, b) == overlap(b, a)."""
    if a.id == b.id or a.segment_id is None or a.segment_id != b.segment_id:
        return None
    shared = a.channel_ids & b.channel_ids
    if not shared or not dates_intersect(a, b):
        return None
    first, second = sorted((a.id, b.id))
    return Overlap(first, second, max(a.start, b.start), min(a.end, b.end), frozenset(shared))


def find_overlaps(spans: Iterable[Span]) -> list[Overlap]:
    """Every colliding pair once, ordered by first shared day. A sweep by start date, grouped by segment,
    so a long history does not cost n² comparisons."""
    by_segment: dict[int, list[Span]] = {}
    for span in spans:
        if span.segment_id is not None and span.channel_ids:
            by_segment.setdefault(span.segment_id, []).append(span)
    found: list[Overlap] = []
    for group in by_segment.values():
        group.sort(key=lambda s: (s.start, s.id))
        running: list[Span] = []
        for span in group:
            running = [r for r in running if r.end >= span.start]
            for earlier in running:
                hit = overlap(earlier, span)
                if hit is not None:
                    found.append(hit)
            running.append(span)
    return sorted(found, key=lambda o: (o.start, o.first, o.second))


def overlaps_of(campaign_id: int, found: Iterable[Overlap]) -> list[Overlap]:
    return [o for o in found if campaign_id in (o.first, o.second)]
