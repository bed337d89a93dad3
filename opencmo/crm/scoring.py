"""Explainable, rule-based lead scoring.

score = fit + engagement, where
- fit = the sum of the points of every active fit rule whose condition the contact matches
  (`job_title contains marketing` → +15, `company.employees lte 5` → -10);
- engagement = for every event of a kind an active engagement rule names, the rule's points x ½^(age /
  half-life): an event today counts fully, one half-life ago half, two half-lives ago a quarter.

Every contribution is rounded to 0.1 point and the totals are the sums of the rounded lines, so the
breakdown shown on a contact always adds up to its score. Pure functions over plain objects: the caller
passes the contact, the rules and the events.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from opencmo.crm import conditions

TENTH = Decimal("0.1")
HALF = Decimal("0.5")
SECONDS_PER_DAY = Decimal(86400)


def q(value: Decimal) -> Decimal:
    return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_EVEN)


def decay_factor(age_days: Decimal, half_life_days: Decimal) -> Decimal:
    """½^(age / half-life); events in the future (clock skew) count fully."""
    if half_life_days <= 0:
        raise ValueError("The half-life must be positive.")
    if age_days <= 0:
        return Decimal(1)
    return HALF ** (Decimal(age_days) / Decimal(half_life_days))


def age_in_days(occurred_at: dt.datetime, now: dt.datetime) -> Decimal:
    seconds = Decimal(str((now - occurred_at).total_seconds()))
    return seconds / SECONDS_PER_DAY


@dataclass
class EventLine:
    occurred_at: dt.datetime
    age_days: Decimal
    factor: Decimal
    points: Decimal  # rounded contribution of this one event


@dataclass
class Line:
    rule_id: int | None
    name: str
    description: str
    points: Decimal
    matched: bool = True
    value: str = ""  # fit: the contact's value that matched
    events: list[EventLine] = field(default_factory=list)  # engagement: newest first
    per_event: Decimal = Decimal(0)  # engagement: the rule's points for one fresh event

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def undecayed(self) -> Decimal:
        """What the events would be worth without decay."""
        return q(self.per_event * self.count)


@dataclass
class Breakdown:
    fit: list[Line]
    engagement: list[Line]
    unmatched: list[Line]
    half_life_days: Decimal
    as_of: dt.datetime

    @property
    def fit_total(self) -> Decimal:
        return sum((line.points for line in self.fit), Decimal(0))

    @property
    def engagement_total(self) -> Decimal:
        return sum((line.points for line in self.engagement), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.fit_total + self.engagement_total


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def compute(
    contact,
    rules: Iterable,
    events: Iterable,
    *,
    now: dt.datetime,
    half_life_days: Decimal,
    labels: dict[str, str] | None = None,
) -> Breakdown:
    """The breakdown of a contact's score at `now`. `rules` are ScoringRule-like objects (kind, name,
    field, operator, value, event_kind, points, is_active, pk); `events` ContactEvent-like (kind,
    occurred_at)."""
    fit, engagement, unmatched = [], [], []
    by_kind: dict[str, list] = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    for rule in rules:
        if not rule.is_active:
            continue
        points = Decimal(rule.points)
        if rule.kind == "fit":
            description = conditions.describe(rule.field, rule.operator, rule.value, labels)
            actual = conditions.value_of(contact, rule.field)
            if conditions.matches(actual, rule.operator, rule.value):
                fit.append(Line(rule.pk, rule.name, description, q(points), value=_shown(actual)))
            else:
                unmatched.append(Line(rule.pk, rule.name, description, Decimal(0), matched=False))
            continue
        happened = sorted(by_kind.get(rule.event_kind, []), key=lambda e: e.occurred_at, reverse=True)
        description = f"{q(points)} per “{rule.event_kind}” event, halving every {q(half_life_days)} days"
        if not happened:
            unmatched.append(Line(rule.pk, rule.name, description, Decimal(0), matched=False))
            continue
        lines = []
        for event in happened:
            age = age_in_days(event.occurred_at, now)
            factor = decay_factor(age, half_life_days)
            lines.append(EventLine(event.occurred_at, q(max(age, Decimal(0))), factor, q(points * factor)))
        total = sum((e.points for e in lines), Decimal(0))
        engagement.append(Line(rule.pk, rule.name, description, total, events=lines, per_event=q(points)))
    return Breakdown(fit, engagement, unmatched, Decimal(half_life_days), now)
