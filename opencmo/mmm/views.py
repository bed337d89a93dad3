"""Model pages: runs and the new-run form, a run's results (polled while it fits), the optimiser and a
recommendation with its one "Request this reallocation" button. Thin: form → service → render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.core.exports import csv_response
from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.mmm import charts, dataset, selectors, services
from opencmo.mmm.forms import OptimiseForm, RunForm
from opencmo.mmm.models import ModelRun, Recommendation


def _can_write(request) -> bool:
    return request.membership.access != "viewer"


@workspace_view()
@require_http_methods(["GET", "POST"])
def runs_home(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    services.modelruns_recover(ws)  # a fit whose worker died shows as failed, not "running" forever
    channels = dataset.available_channels(ws)
    period = dataset.spend_period(ws)
    initial = {
        "channels": [k for k, _ in channels],
        "target": "revenue",
        "adstock": "geometric",
        "saturation": "hill",
        "method": "map",
    }
    if period:
        initial.update(start=period[0], end=period[1])
    form = RunForm(request.POST or None, initial=initial, channels=channels, bayes=services.bayes_available())
    if request.method == "POST":
        if not _can_write(request):
            raise PermissionDenied("Viewers cannot start model runs.")
        if form.is_valid():
            try:
                run = services.modelrun_create(actor=request.user, workspace=ws, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                if run.status == ModelRun.Status.DONE:
                    messages.info(request, "The same data and settings were fitted before: here is that run.")
                return redirect("mmm_run", ws=ws.slug, modelrun_pk=run.pk)
    return render(
        request,
        "mmm/runs.html",
        {
            "runs": selectors.runs(ws)[:50],
            "recommendations": selectors.recommendations(ws)[:20],
            "form": form,
            "has_channels": bool(channels),
            "can_write": _can_write(request),
            "labels": selectors.channel_labels(ws),
        },
    )


def _table(results: dict, labels: dict) -> list[dict]:
    return [{**row, "name": labels.get(row["channel"], row["channel"])} for row in results.get("summary", [])]


def _csv(run: ModelRun, kind: str, labels: dict) -> HttpResponse | None:
    r = run.results
    if kind == "roi":
        return csv_response(
            f"model-{run.pk}-roi.csv",
            [
                "channel",
                "spend",
                "contribution",
                "contribution_low",
                "contribution_high",
                "roi",
                "roi_low",
                "roi_high",
                "marginal_roi",
                "marginal_roi_low",
                "marginal_roi_high",
            ],
            (
                [
                    labels.get(s["channel"], s["channel"]),
                    round(s["spend"], 2),
                    round(s["contribution"], 2),
                    round(s["contribution_lo"], 2),
                    round(s["contribution_hi"], 2),
                    round(s["roi"], 4),
                    round(s["roi_lo"], 4),
                    round(s["roi_hi"], 4),
                    round(s["mroi"], 4),
                    round(s["mroi_lo"], 4),
                    round(s["mroi_hi"], 4),
                ]
                for s in r["summary"]
            ),
        )
    if kind == "contributions":
        header = ["week", "actual", "fitted", "baseline", *(labels.get(c, c) for c in r["channels"])]
        return csv_response(
            f"model-{run.pk}-contributions.csv",
            header,
            (
                [
                    w,
                    round(r["actual"][i], 2),
                    round(r["fitted"][i], 2),
                    round(r["baseline"][i], 2),
                    *(round(r["contributions"][c][i], 2) for c in r["channels"]),
                ]
                for i, w in enumerate(r["weeks"])
            ),
        )
    if kind == "curves":
        return csv_response(
            f"model-{run.pk}-response-curves.csv",
            ["channel", "weekly_spend", "weekly_contribution", "low", "high"],
            (
                [labels.get(c, c), round(x, 2), round(m, 2), round(lo, 2), round(hi, 2)]
                for c, cv in r["curves"].items()
                for x, m, lo, hi in zip(cv["spend"], cv["mean"], cv["lo"], cv["hi"], strict=True)
            ),
        )
    return None


@workspace_view()
@require_http_methods(["GET"])
def run_detail(request: HttpRequest, modelrun_pk: int) -> HttpResponse:
    ws = request.workspace
    services.modelruns_recover(ws)
    run = scoped_or_404(ModelRun, ws, modelrun_pk)
    labels = selectors.channel_labels(ws)
    context = {"run": run, "can_write": _can_write(request), "labels": labels}
    if run.status == ModelRun.Status.DONE:
        if request.GET.get("csv"):
            response = _csv(run, request.GET["csv"], labels)
            if response is not None:
                return response
        r = run.results
        context.update(
            table=_table(r, labels),
            results=r,
            contributions_chart=charts.contributions(r, labels),
            roi_chart=charts.roi(r, labels),
            curves_chart=charts.curves(r, labels),
            channel_names=[labels.get(c, c) for c in r["channels"]],
            contrib_rows=[
                (
                    w,
                    [
                        r["actual"][i],
                        r["fitted"][i],
                        r["baseline"][i],
                        *(r["contributions"][c][i] for c in r["channels"]),
                    ],
                )
                for i, w in enumerate(r["weeks"])
            ],
            curve_rows=[
                {"name": labels.get(c, c), "current": cv["current"], "at_current": _at(cv, cv["current"])}
                for c, cv in r["curves"].items()
            ],
        )
    if request.headers.get("HX-Request"):
        return render(request, "mmm/_run_body.html", context)
    return render(request, "mmm/run.html", context)


def _at(curve: dict, x: float) -> float:
    import numpy as np

    return float(np.interp(x, curve["spend"], curve["mean"]))


@workspace_view()
@require_http_methods(["GET", "POST"])
def optimise_view(request: HttpRequest, modelrun_pk: int) -> HttpResponse:
    ws = request.workspace
    run = scoped_or_404(ModelRun, ws, modelrun_pk)
    if run.status != ModelRun.Status.DONE:
        messages.error(request, "The model run has not finished.")
        return redirect("mmm_run", ws=ws.slug, modelrun_pk=run.pk)
    labels = selectors.channel_labels(ws)
    channels = [(c, labels.get(c, c)) for c in run.results["channels"]]
    start, end = services.default_period(ws)
    current, source = services.current_allocation(run, start, end)
    form = OptimiseForm(request.POST or None, initial={"start": start, "end": end}, channels=channels)
    if request.method == "POST":
        if not _can_write(request):
            raise PermissionDenied("Viewers cannot make recommendations.")
        if form.is_valid():
            lows, highs = form.bounds()
            try:
                rec = services.recommendation_create(
                    actor=request.user,
                    run=run,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    total=form.cleaned_data.get("total"),
                    minimum=lows,
                    maximum=highs,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect("mmm_recommendation", ws=ws.slug, recommendation_pk=rec.pk)
    rows = [
        {
            "key": c,
            "name": name,
            "current": current.get(c, 0.0),
            "min": form[f"min_{c}"],
            "max": form[f"max_{c}"],
        }
        for c, name in channels
    ]
    return render(
        request,
        "mmm/optimise.html",
        {
            "run": run,
            "form": form,
            "rows": rows,
            "can_write": _can_write(request),
            "current_total": sum(current.values()),
            "source": source,
            "start": start,
            "end": end,
        },
    )


@workspace_view()
@require_http_methods(["GET"])
def recommendation_detail(request: HttpRequest, recommendation_pk: int) -> HttpResponse:
    ws = request.workspace
    rec = scoped_or_404(Recommendation, ws, recommendation_pk)
    labels = selectors.channel_labels(ws)
    rows = [
        {
            **row,
            "name": labels.get(row["channel"], row["channel"]),
            "change": row["recommended"] - row["current"],
        }
        for row in rec.allocation
    ]
    if request.GET.get("csv") == "allocation":
        return csv_response(
            f"recommendation-{rec.pk}.csv",
            ["channel", "current", "recommended", "change", "marginal_return"],
            (
                [
                    r["name"],
                    r["current"],
                    r["recommended"],
                    round(r["change"], 2),
                    round(r.get("marginal", 0), 4),
                ]
                for r in rows
            ),
        )
    from opencmo.budget.models import ReallocationRequest

    return render(
        request,
        "mmm/recommendation.html",
        {
            "rec": rec,
            "rows": rows,
            "chart": charts.allocation(rec.allocation, labels),
            "requests": ReallocationRequest.objects.filter(workspace=ws, pk__in=rec.requests or []),
            "can_write": _can_write(request),
            "gain": rec.predicted_outcome - (rec.current_outcome or 0),
        },
    )


@workspace_view()
@require_POST
def recommendation_request(request: HttpRequest, recommendation_pk: int) -> HttpResponse:
    ws = request.workspace
    rec = scoped_or_404(Recommendation, ws, recommendation_pk)
    try:
        made = services.recommendation_request(actor=request.user, recommendation=rec)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error) or "You may not request reallocations in this plan.")
    else:
        messages.success(
            request, f"{len(made)} reallocation request{'s' if len(made) != 1 else ''} sent for approval."
        )
    return redirect("mmm_recommendation", ws=ws.slug, recommendation_pk=rec.pk)
