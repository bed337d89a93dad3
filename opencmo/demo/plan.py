"""The demo company's plans: goals, objectives with KPIs and a year of actuals, segments and the brand
strategy (campaigns, work and budgets are added by their own builders). Everything goes through the
services as the system, so the audit log reads like real history."""

import datetime as dt
import random
from decimal import Decimal

from opencmo.core.models import Workspace
from opencmo.org.models import Person
from opencmo.strategy import services as strategy
from opencmo.strategy.models import Objective, Segment

SEGMENTS = [
    ("Nordic sports retailers", "Independent and chain sports shops in Norway, Sweden and Denmark.", True),
    ("Urban hikers 25-40", "City people who hike at weekends; buy online, care about sustainability.", False),
    ("Alpine enthusiasts", "Skiers and mountaineers who want technical shells and layers.", False),
    ("Corporate gifting", "Companies buying branded outerwear for staff and clients.", True),
]

# (title, horizon, owner seat, goal index, [(kpi name, unit, baseline, target, cumulative, direction)])
OBJECTIVES = [
    (
        "Grow webshop revenue 25%",
        "short",
        "cmo",
        0,
        [
            ("Webshop revenue", "currency", 0, 48_000_000, True, "up"),
            ("Conversion rate", "percent", 1.8, 2.4, False, "up"),
        ],
    ),
    (
        "Win 40 new retail partners",
        "short",
        "mm",
        1,
        [
            ("New retail partners", "count", 0, 40, True, "up"),
            ("Marketing qualified leads (B2B)", "count", 0, 600, True, "up"),
        ],
    ),
    (
        "Build Nordlys as the sustainable outdoor brand",
        "long",
        "strategist",
        2,
        [
            ("Aided brand awareness", "percent", 21, 30, False, "up"),
            ("Net Promoter Score", "score", 32, 45, False, "up"),
        ],
    ),
    (
        "Launch the Fjellvind shell range",
        "short",
        "mm",
        0,
        [
            ("Fjellvind units sold", "count", 0, 12_000, True, "up"),
            ("Cost per acquisition", "currency", 420, 350, False, "down"),
        ],
    ),
    (
        "Grow the newsletter audience",
        "long",
        "content",
        2,
        [("Newsletter subscribers", "count", 18_000, 30_000, False, "up")],
    ),
]

GOALS = [
    ("Double direct-to-consumer revenue by 2028", 2028),
    ("Be in 300 Nordic retail doors by 2027", 2027),
    ("Be the most trusted sustainable outdoor brand in the Nordics", 2030),
]


def _actuals(rng: random.Random, kpi, year_start: dt.date, today: dt.date, shape: float) -> None:
    """Monthly actuals up to today: cumulative KPIs add a noisy share of the target each month, level KPIs
    drift from baseline towards (or past) the target. `shape` < 1 lags the plan, > 1 runs ahead."""
    months = [
        dt.date(year_start.year, m, 28) for m in range(1, 13) if dt.date(year_start.year, m, 28) <= today
    ]
    baseline, target = Decimal(kpi.baseline), Decimal(kpi.target)
    step = Decimal("1") if kpi.unit == "count" else Decimal("0.01")  # whole partners, leads, units
    for i, day in enumerate(months, start=1):
        noise = Decimal(str(round(rng.uniform(0.8, 1.2), 3)))
        if kpi.cumulative:  # actuals of a cumulative KPI are the month's own figure; progress adds them up
            value = (target - baseline) / 12 * Decimal(str(shape)) * noise
        else:
            value = baseline + (target - baseline) * Decimal(i) / 12 * Decimal(str(shape)) * noise
        strategy.kpi_actual_record(
            actor=None, kpi=kpi, date=day, value=value.quantize(step), note="Monthly figure"
        )


def build_strategy(
    workspace: Workspace, people: dict[str, Person], *, seed: int, today: dt.date
) -> list[Objective]:
    rng = random.Random(seed)
    year_start, year_end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    segments = [
        strategy.segment_create(actor=None, workspace=workspace, name=n, description=d, is_b2b=b)
        for n, d, b in SEGMENTS
    ]
    goals = [strategy.goal_create(actor=None, workspace=workspace, title=t, target_year=y) for t, y in GOALS]
    objectives = []
    for (title, horizon, owner, goal, kpis), shape in zip(
        OBJECTIVES, [1.05, 0.8, 0.95, 1.15, 0.7], strict=True
    ):
        objective = strategy.objective_create(
            actor=None,
            workspace=workspace,
            title=title,
            horizon=horizon,
            owner=people[owner],
            start_date=year_start,
            end_date=year_end,
            goals=[goals[goal]],
        )
        for name, unit, baseline, target, cumulative, direction in kpis:
            kpi = strategy.kpi_create(
                actor=None,
                objective=objective,
                name=name,
                unit=unit,
                baseline=Decimal(str(baseline)),
                target=Decimal(str(target)),
                period_start=year_start,
                period_end=year_end,
                cumulative=cumulative,
                direction=direction,
            )
            _actuals(rng, kpi, year_start, today, shape if direction == "up" else 2 - shape)
        objectives.append(objective)
    _brand(workspace, people, segments)
    return objectives


def _brand(workspace: Workspace, people: dict[str, Person], segments: list[Segment]) -> None:
    """Version 1 approved by the CMO; version 2 proposed by the strategist and waiting for her."""
    first = strategy.strategy_draft_create(actor=None, workspace=workspace)
    strategy.strategy_draft_update(
        actor=None,
        version=first,
        segments=segments[:3],
        positioning="For people who love the Nordic outdoors, Nordlys makes technical clothing that lasts "
        "for decades, because it is designed to be repaired, not replaced.",
        tone_of_voice="Calm, practical and warm. We show the mountains, not ourselves. No hype words.",
        competitors="Norrøna (premium technical), Bergans (heritage), Fjällräven (lifestyle), "
        "Patagonia (sustainability leader).",
        trends="Repair and resale services; rental for occasional users; demand for PFAS-free membranes.",
        change_summary="First written strategy.",
    )
    strategy.strategy_propose(actor=None, version=first, proposer=people["strategist"])
    strategy.strategy_decide(
        actor=None, version=first, approve=True, comment="Agreed in the leadership meeting."
    )
    second = strategy.strategy_draft_create(actor=None, workspace=workspace)
    strategy.strategy_draft_update(
        actor=None,
        version=second,
        segments=segments,
        trends="Repair and resale services; rental for occasional users; demand for PFAS-free membranes; "
        "companies buying sustainable gifts for staff.",
        change_summary="Add corporate gifting as a B2B segment.",
    )
    strategy.strategy_propose(actor=None, version=second, proposer=people["strategist"])
