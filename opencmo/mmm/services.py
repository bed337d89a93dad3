"""Marketing-mix model runs, budget recommendations and turning them into reallocation requests.

* ``modelrun_create`` checks the request, fingerprints the weekly data and either returns the finished
  run with the same data and configuration (no refit) or queues a new one (``django.tasks``).
* ``modelrun_execute`` fits it (MAP + Laplace, or PyMC-Marketing) and stores the results, reporting
  progress on the row for the page to poll.
* ``recommendation_create`` optimises a budget over the run's response curves and stores the split.
* ``recommendation_request`` turns it into reallocation requests in the active budget plan (approved
  by RACI / decision authority in the budget module).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from opencmo.analytics import optimise
from opencmo.analytics.mmm import MMMConfig, MMMError, response
from opencmo.core import recovery
from opencmo.core.audit import record
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.permissions import require_member
from opencmo.mmm import dataset
from opencmo.mmm.models import ModelRun, Recommendation

log = logging.getLogger(__name__)

TARGETS = ("revenue", "conversions")
METHODS = ("map", "bayes")
BEAT_KIND = "mmm"  # heartbeat files of model fits: <DATA_DIR>/mmm/heartbeats/<run pk>


def bayes_available() -> bool:
    from opencmo.analytics.mmm import bayes

    return bayes.available()


def _config(*, channels, start, end, target, adstock, saturation, method) -> dict:
    errors = {}
    if not channels:
        errors["channels"] = "Choose at least one channel."
    if target not in TARGETS:
        errors["target"] = "Choose revenue or conversions."
    if adstock not in ("geometric", "weibull"):
        errors["adstock"] = "Choose geometric or Weibull carry-over."
    if saturation not in ("hill", "logistic"):
        errors["saturation"] = "Choose Hill or logistic saturation."
    if method not in METHODS:
        errors["method"] = "Choose MAP or Bayes."
    elif method == "bayes" and not bayes_available():
        errors["method"] = "Full Bayes needs PyMC-Marketing, which is not installed here; use MAP."
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        errors["start"] = "Give the period's first and last day."
    elif (end - start).days < 7 * 26:
        errors["end"] = "The period must cover at least 26 weeks."
    if errors:
        raise ValidationError(errors)
    return {
        "channels": sorted(channels),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "target": target,
        "adstock": adstock,
        "saturation": saturation,
        "method": method,
    }


def _inputs(workspace: Workspace, config: dict) -> dataset.Inputs:
    try:
        return dataset.inputs(
            workspace,
            channels=config["channels"],
            start=dt.date.fromisoformat(config["start"]),
            end=dt.date.fromisoformat(config["end"]),
            target=config["target"],
        )
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise ValidationError({field if message else "__all__": message or str(error)}) from None


def modelrun_create(
    *,
    actor,
    workspace: Workspace,
    channels: list[str],
    start: dt.date,
    end: dt.date,
    target: str = "revenue",
    adstock: str = "geometric",
    saturation: str = "hill",
    method: str = "map",
    enqueue: bool = True,
) -> ModelRun:
    """Queue a model run, or return the finished run fitted on the same data with the same settings."""
    require_member(actor, workspace, write=True)
    config = _config(
        channels=channels,
        start=start,
        end=end,
        target=target,
        adstock=adstock,
        saturation=saturation,
        method=method,
    )
    inputs = _inputs(workspace, config)
    try:
        inputs.data.validate()
    except MMMError as error:
        raise ValidationError(str(error)) from None
    for done in ModelRun.objects.filter(
        workspace=workspace, fingerprint=inputs.fingerprint, status=ModelRun.Status.DONE
    ):
        if done.config == config:
            return done
    with transaction.atomic():
        run = ModelRun.objects.create(
            workspace=workspace, config=config, fingerprint=inputs.fingerprint, created_by=_user(actor)
        )
        record(
            actor=actor,
            workspace=workspace,
            action=AuditEvent.Action.CREATE,
            obj=run,
            changes={"config": [None, config], "fingerprint": [None, inputs.fingerprint]},
        )
        if enqueue:
            from opencmo.mmm.tasks import fit_model

            transaction.on_commit(lambda: fit_model.enqueue(run_pk=run.pk))
    return run


def _user(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None


def _progress(run: ModelRun):
    last = {"at": 0.0}

    def say(fraction: float, message: str) -> None:
        now = timezone.now().timestamp()
        if now - last["at"] < 0.5 and fraction < 1:
            return
        last["at"] = now
        ModelRun.objects.filter(pk=run.pk).update(
            progress=int(5 + 90 * fraction), message=message[:200], heartbeat_at=timezone.now()
        )

    return say


def modelrun_execute(*, run: ModelRun) -> ModelRun:
    """Fit the run (called by the background task). Failures are stored on the run, never raised."""
    if run.status not in (ModelRun.Status.QUEUED, ModelRun.Status.FAILED):
        return run
    now = timezone.now()
    ModelRun.objects.filter(pk=run.pk).update(
        status=ModelRun.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=recovery.worker_id(),
        progress=2,
        message="Reading the data",
        error="",
    )
    with recovery.Heartbeat(run.pk, kind=BEAT_KIND):
        _fit(run)
    run.refresh_from_db()
    return run


def _fit(run: ModelRun) -> None:
    try:
        inputs = _inputs(run.workspace, run.config)
        config = MMMConfig(adstock=run.config["adstock"], saturation=run.config["saturation"])
        if run.config["method"] == "bayes":
            from opencmo.analytics.mmm import bayes
            from opencmo.data.services import store_dir

            results = bayes.fit(
                inputs.data, config, progress=_progress(run), compile_dir=store_dir().parent / "pytensor"
            )
        else:
            from opencmo.analytics.mmm import fit

            results = fit(inputs.data, config, progress=_progress(run))
        results["weeks"] = inputs.data.weeks
        results["currency"] = run.workspace.currency
        results["target"] = run.config["target"]
    except (ValidationError, MMMError, ValueError, np.linalg.LinAlgError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        ModelRun.objects.filter(pk=run.pk).update(
            status=ModelRun.Status.FAILED, error=message, finished_at=timezone.now(), message="Failed"
        )
    except Exception as error:  # a bug must not leave the run spinning forever
        log.exception("Model run %s failed", run.pk)
        ModelRun.objects.filter(pk=run.pk).update(
            status=ModelRun.Status.FAILED,
            error=f"The model could not be fitted ({type(error).__name__}: {error}).",
            finished_at=timezone.now(),
            message="Failed",
        )
    else:
        ModelRun.objects.filter(pk=run.pk).update(
            status=ModelRun.Status.DONE,
            results=_jsonable(results),
            fingerprint=inputs.fingerprint,
            progress=100,
            message="Done",
            finished_at=timezone.now(),
        )


def modelruns_recover(workspace: Workspace | None = None) -> list[ModelRun]:
    """Mark failed the runs whose fitting process died (killed worker, deploy, out of memory): they would
    otherwise show "Running" forever. Nothing of a dead fit was stored, so starting it again is safe.
    Called when the runs are looked at and when a worker starts a fit."""
    now = timezone.now()
    runs = ModelRun.objects.filter(status=ModelRun.Status.RUNNING)
    if workspace is not None:
        runs = runs.filter(workspace=workspace)
    failed = []
    for run in runs:
        reason = recovery.death_reason(run, now, kind=BEAT_KIND)
        if reason is None:
            continue
        error = f"The fit stopped: {reason}. No results were stored; start the run again."
        with transaction.atomic():
            if not ModelRun.objects.filter(pk=run.pk, status=ModelRun.Status.RUNNING).update(
                status=ModelRun.Status.FAILED, error=error, message="Failed", finished_at=now
            ):
                continue  # it finished (or was recovered) meanwhile
            record(
                actor=None,
                workspace=run.workspace,
                action=AuditEvent.Action.UPDATE,
                obj=run,
                changes={"status": [ModelRun.Status.RUNNING, ModelRun.Status.FAILED], "error": ["", error]},
            )
        recovery.forget(run.pk, kind=BEAT_KIND)
        run.refresh_from_db()
        failed.append(run)
    return failed


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.floating | float):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


# --- recommendations ---


def curves_of(run: ModelRun) -> tuple[list[str], list, list[list]]:
    """(channels, mean weekly response curves, curves per posterior draw) of a finished run."""
    results = run.results
    saturation = results["config"]["saturation"]
    channels = results["channels"]
    params = results["params"]
    curves = [(lambda b, p=params[c]: response(b, p, saturation)) for c in channels]
    draws = results.get("draws") or {}
    n = min((len(draws[c]["beta"]) for c in channels), default=0) if draws else 0
    per_draw = []
    for i in range(min(n, 100)):
        drawn = {c: {**params[c], **{k: draws[c][k][i] for k in ("beta", "k", "slope")}} for c in channels}
        per_draw.append([(lambda b, p=drawn[c]: response(b, p, saturation)) for c in channels])
    return channels, curves, per_draw


def active_plan(workspace: Workspace, on: dt.date):
    from opencmo.budget.models import BudgetPlan

    return (
        BudgetPlan.objects.filter(
            workspace=workspace, status=BudgetPlan.Status.ACTIVE, start_date__lte=on, end_date__gte=on
        )
        .order_by("-start_date")
        .first()
    )


def planned_by_channel(
    workspace: Workspace, start: dt.date, end: dt.date, channels: list[str]
) -> dict[str, float]:
    """Planned money per channel for [start, end] in the active plans: each channel line's phasing as
    the budget module rolls it up (its campaigns' phasing plus its reserve spread), pro rata for partly
    covered months."""
    from opencmo.budget import selectors as budget_selectors
    from opencmo.budget.ledger import days_in_month
    from opencmo.budget.models import BudgetPlan

    out = dict.fromkeys(channels, 0.0)
    plans = BudgetPlan.objects.filter(
        workspace=workspace, status=BudgetPlan.Status.ACTIVE, start_date__lte=end, end_date__gte=start
    )
    for plan in plans:
        for row in budget_selectors.plan_figures(plan).rows:
            line = row.line
            if line.level != "channel" or line.channel is None or line.channel.key not in out:
                continue
            for month in row.pacing.months:
                first = month.month
                last = first + dt.timedelta(days=days_in_month(first) - 1)
                covered = (min(last, end) - max(first, start)).days + 1
                if covered > 0:
                    out[line.channel.key] += float(month.planned) * covered / days_in_month(first)
    return out


def current_allocation(run: ModelRun, start: dt.date, end: dt.date) -> tuple[dict[str, float], str]:
    """The money per channel the optimiser compares with, and where it comes from: the active plans'
    phased amounts for the period ("plan"), else the model period's average weekly spend ("history")."""
    channels = run.results["channels"]
    current = planned_by_channel(run.workspace, start, end, channels)
    if sum(current.values()) > 0:
        return current, "plan"
    weeks = ((end - start).days + 1) / 7.0
    n = len(run.results["weeks"])
    return {s["channel"]: s["spend"] / n * weeks for s in run.results["summary"]}, "history"


def default_period(workspace: Workspace) -> tuple[dt.date, dt.date]:
    """From next month to the end of the active plan (or the next three months)."""
    today = timezone.localdate()
    start = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    plan = active_plan(workspace, today)
    end = plan.end_date if plan and plan.end_date > start else start + dt.timedelta(days=90)
    return start, end


def recommendation_create(
    *,
    actor,
    run: ModelRun,
    start: dt.date,
    end: dt.date,
    total: Decimal | None = None,
    minimum: dict[str, Decimal] | None = None,
    maximum: dict[str, Decimal] | None = None,
) -> Recommendation:
    """Optimise the split of ``total`` over the run's channels for [start, end] and store it, next to
    the current plan's split and the outcome the model expects from each."""
    workspace = run.workspace
    require_member(actor, workspace, write=True)
    if run.status != ModelRun.Status.DONE:
        raise ValidationError("The model run has not finished.")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
        raise ValidationError({"end": "The period must end after it starts."})
    weeks = ((end - start).days + 1) / 7.0
    channels, curves, draws = curves_of(run)
    current, _ = current_allocation(run, start, end)
    if total is None:
        total = Decimal(str(round(sum(current.values()), 2)))
    if total <= 0:
        raise ValidationError({"total": "The budget must be more than zero."})
    minimum = minimum or {}
    maximum = maximum or {}
    lower = np.array([float(minimum.get(c, 0)) for c in channels]) / weeks
    upper = np.array([float(maximum[c]) if c in maximum else np.inf for c in channels]) / weeks
    current_w = np.array([current[c] for c in channels]) / weeks
    try:
        best = optimise.allocate(curves, float(total) / weeks, lower, upper, current=current_w, draws=draws)
    except optimise.OptimiseError as error:
        raise ValidationError({"total": str(error)}) from None
    interval = best.interval()
    # the outcome without media: the fitted baseline's average over the last 13 weeks of the run
    base = float(np.mean(run.results["baseline"][-13:]))
    now_outcome = sum(float(f(np.array([b]))[0]) for f, b in zip(curves, current_w, strict=True))
    allocation = [
        {
            "channel": c,
            "current": round(current[c], 2),
            "recommended": round(float(best.spend[i]) * weeks, 2),
            "marginal": float(best.marginal[i]),
        }
        for i, c in enumerate(channels)
    ]
    with transaction.atomic():
        rec = Recommendation.objects.create(
            workspace=workspace,
            run=run,
            period_start=start,
            period_end=end,
            target=run.config.get("target", "revenue"),
            total=total,
            allocation=allocation,
            predicted_outcome=(best.outcome + base) * weeks,
            predicted_low=(interval[0] + base) * weeks if interval else None,
            predicted_high=(interval[1] + base) * weeks if interval else None,
            current_outcome=(now_outcome + base) * weeks,
            created_by=_user(actor),
        )
        record(
            actor=actor,
            workspace=workspace,
            action=AuditEvent.Action.CREATE,
            obj=rec,
            changes={"run": [None, run.pk], "total": [None, str(total)], "allocation": [None, allocation]},
        )
    return rec


def recommendation_request(*, actor, recommendation: Recommendation, reason: str = "") -> list:
    """Ask the budget module to move the money: from each channel line the recommendation cuts to the
    lines it raises, as reallocation requests in the active plan (each approved by RACI / authority).
    All or nothing: if one request is refused, none is made."""
    from opencmo.budget import services as budget
    from opencmo.budget.models import BudgetLine

    workspace = recommendation.workspace
    require_member(actor, workspace, write=True)
    if recommendation.requested_at:
        raise ValidationError("This recommendation has already been requested.")
    plan = active_plan(workspace, recommendation.period_start) or active_plan(workspace, timezone.localdate())
    if plan is None:
        raise ValidationError("There is no active budget plan to move money in.")
    lines = {
        line.channel.key: line
        for line in BudgetLine.objects.filter(plan=plan, level="channel").select_related("channel")
    }
    from opencmo.budget.ledger import Tree
    from opencmo.budget.models import ReallocationRequest

    tree = Tree((line.pk, line.parent_id, line.amount) for line in plan.lines.all())
    gives, takes = [], []
    capped = []
    for row in recommendation.allocation:
        delta = Decimal(str(row["recommended"])) - Decimal(str(row["current"]))
        delta = delta.quantize(Decimal("1"))
        if row["channel"] not in lines or delta == 0:
            continue
        line = lines[row["channel"]]
        if delta > 0:
            takes.append([line, delta])
            continue
        # a line can give only its unallocated reserve (what its campaigns do not hold), less what
        # open requests already ask of it
        pending = ReallocationRequest.objects.filter(from_line=line, status="pending").aggregate(
            t=Sum("amount")
        )
        free = max(tree.reserve(line.pk) - (pending["t"] or Decimal(0)), Decimal(0)).quantize(Decimal("1"))
        if free < -delta:
            capped.append(f"{line.name}: {free:,} of {-delta:,}")
        if free > 0:
            gives.append([line, min(-delta, free)])
    if not gives or not takes:
        if capped:
            raise ValidationError(
                "The lines the recommendation cuts have no unallocated money to give (it is allocated to "
                f"their campaigns): {'; '.join(capped)}."
            )
        raise ValidationError("The recommendation moves no money between the plan's channel lines.")
    reason = reason.strip() or (
        f"Marketing-mix model run {recommendation.run_id}: the optimised split for "
        f"{recommendation.period_start:%d %b %Y} to {recommendation.period_end:%d %b %Y} is expected to "
        f"add {recommendation.predicted_outcome - (recommendation.current_outcome or 0):,.0f} "
        f"{recommendation.target}."
    ) + (f" Limited to the lines' unallocated money ({'; '.join(capped)})." if capped else "")
    made = []
    try:
        with transaction.atomic():
            gi = ti = 0
            while gi < len(gives) and ti < len(takes):
                amount = min(gives[gi][1], takes[ti][1])
                if amount > 0:
                    made.append(
                        budget.reallocation_request(
                            actor=actor,
                            from_line=gives[gi][0],
                            to_line=takes[ti][0],
                            amount=amount,
                            reason=reason,
                        )
                    )
                gives[gi][1] -= amount
                takes[ti][1] -= amount
                if gives[gi][1] == 0:
                    gi += 1
                if takes[ti][1] == 0:
                    ti += 1
            recommendation.requested_at = timezone.now()
            recommendation.requests = [r.pk for r in made]
            recommendation.save(update_fields=["requested_at", "requests", "updated_at"])
            record(
                actor=actor,
                workspace=workspace,
                action=AuditEvent.Action.UPDATE,
                obj=recommendation,
                changes={"requests": [[], recommendation.requests]},
            )
    except PermissionDenied as error:
        raise PermissionDenied(str(error)) from None
    return made
