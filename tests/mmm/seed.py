"""One of each routed mmm object in a workspace, for the tenant-isolation walk."""

import datetime as dt
from decimal import Decimal

from opencmo.mmm.models import ModelRun, Recommendation


def seed(workspace, admin, context) -> None:
    run = ModelRun.objects.create(
        workspace=workspace,
        config={
            "channels": ["email"],
            "start": "2025-01-06",
            "end": "2025-12-28",
            "target": "revenue",
            "adstock": "geometric",
            "saturation": "hill",
            "method": "map",
        },
        fingerprint="f" * 64,
        status=ModelRun.Status.FAILED,
        error=f"{workspace.name} seeded run",
        created_by=admin,
    )
    Recommendation.objects.create(
        workspace=workspace,
        run=run,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        total=Decimal("1000"),
        allocation=[{"channel": "email", "current": 1000.0, "recommended": 1000.0, "marginal": 1.0}],
        predicted_outcome=5000.0,
        current_outcome=5000.0,
        created_by=admin,
    )
