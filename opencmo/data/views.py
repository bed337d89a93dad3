"""Data pages: the data home (runs, store row counts, unmapped campaigns, collection sites), the upload
page and an import run's progress and problems. Views stay thin: form → service → render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.analytics.store import StoreError
from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.data import selectors, services
from opencmo.data.forms import CollectSiteForm, UploadForm, UtmMapForm
from opencmo.data.models import CollectSite, ImportRun

PROBLEMS_PER_PAGE = 200


def _can_write(request) -> bool:
    return request.membership.access != "viewer"


@workspace_view()
@require_http_methods(["GET"])
def data_home(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    services.importruns_recover_stale(workspace=request.workspace)
    runs = selectors.import_runs(
        request.workspace,
        kind=kind if kind in ImportRun.Kind.values else "",
        status=status if status in ImportRun.Status.values else "",
    )
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "data/home.html",
        {
            "page": page,
            "runs": page.object_list,
            "kinds": ImportRun.Kind.choices,
            "statuses": ImportRun.Status.choices,
            "kind": kind,
            "status": status,
            "summary": selectors.store_summary(request.workspace),
            "sites": selectors.collect_sites(request.workspace),
            "can_write": _can_write(request),
            "is_admin": request.membership.is_admin,
            "site_form": CollectSiteForm(),
            "collect_url": request.build_absolute_uri("/collect/"),
            "script_url": request.build_absolute_uri("/static/opencmo/collect.js"),
        },
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    if not _can_write(request):
        raise PermissionDenied("Viewers cannot import data.")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_UPLOAD:
            form.add_error("file", "The file is larger than 512 MB; use the command line importer.")
        else:
            try:
                run = services.importrun_create(
                    actor=request.user,
                    workspace=request.workspace,
                    kind=form.cleaned_data["kind"],
                    filename=upload.name,
                    data=upload.read(),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect("import_run_detail", ws=request.workspace.slug, importrun_pk=run.pk)
    return render(request, "data/upload.html", {"form": form}, status=400 if form.errors else 200)


@workspace_view()
@require_http_methods(["GET"])
def import_run_detail(request: HttpRequest, importrun_pk: int) -> HttpResponse:
    run = scoped_or_404(ImportRun, request.workspace, importrun_pk)
    if run.is_active:
        services.importrun_recover(run=run)  # a dead worker's run ends here rather than spinning forever
    problems = Paginator(run.problems or [], PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"run": run, "problems": problems, "can_write": _can_write(request)}
    if request.headers.get("HX-Request"):
        return render(request, "data/_run_status.html", context)
    return render(request, "data/run.html", context)


@workspace_view()
@require_POST
def import_run_again(request: HttpRequest, importrun_pk: int) -> HttpResponse:
    """Import for real a file that passed its dry run, or start again a run whose worker died (the file
    is kept with the run)."""
    run = scoped_or_404(ImportRun, request.workspace, importrun_pk)
    if not _can_write(request):
        raise PermissionDenied("Viewers cannot import data.")
    retry = run.recovered_at is not None
    if not retry and run.status != ImportRun.Status.CHECKED:
        messages.error(request, "Only a checked dry run or an interrupted import can be started again.")
        return redirect("import_run_detail", ws=request.workspace.slug, importrun_pk=run.pk)
    try:
        with run.source.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        messages.error(request, "The uploaded file is no longer kept; upload it again.")
        return redirect("import_run_detail", ws=request.workspace.slug, importrun_pk=run.pk)
    new = services.importrun_create(
        actor=request.user,
        workspace=request.workspace,
        kind=run.kind,
        filename=run.filename,
        data=data,
        dry_run=run.dry_run if retry else False,
    )
    return redirect("import_run_detail", ws=request.workspace.slug, importrun_pk=new.pk)


@workspace_view()
@require_POST
def store_remap(request: HttpRequest) -> HttpResponse:
    try:
        changed = services.store_remap(actor=request.user, workspace=request.workspace)
    except StoreError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Campaign mappings applied: {changed.get('ad_performance', 0):,} ad rows and "
            f"{changed.get('touchpoints', 0):,} touchpoints updated.",
        )
    return redirect("data_home", ws=request.workspace.slug)


@workspace_view()
@require_http_methods(["GET", "POST"])
def utm_campaigns(request: HttpRequest) -> HttpResponse:
    """UTM campaign names seen in GA4 / first-party touchpoints: map each to one of our campaigns."""
    form = UtmMapForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST":
        if not _can_write(request):
            raise PermissionDenied("Viewers cannot map campaigns.")
        if form.is_valid():
            try:
                mapping, changed = services.utm_campaign_map(
                    actor=request.user,
                    workspace=request.workspace,
                    name=form.cleaned_data["name"],
                    campaign=form.cleaned_data["campaign"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            except StoreError as error:
                form.add_error(None, f"The mapping was not saved: {error}")
            else:
                messages.success(
                    request,
                    f"“{mapping.external_name}” now counts for {mapping.campaign}: "
                    f"{changed:,} touchpoint{'s' if changed != 1 else ''} updated.",
                )
                return redirect("data_utm_campaigns", ws=request.workspace.slug)
    names = selectors.utm_campaigns(request.workspace)
    return render(
        request,
        "data/utm.html",
        {
            "names": names,
            "form": form,
            "campaigns": form.fields["campaign"].queryset,
            "can_write": _can_write(request),
        },
        status=400 if form.errors else 200,
    )


@workspace_view()
@require_POST
def utm_mapping_delete(request: HttpRequest, platformcampaign_pk: int) -> HttpResponse:
    from opencmo.campaigns.models import PlatformCampaign

    mapping = scoped_or_404(PlatformCampaign, request.workspace, platformcampaign_pk)
    if mapping.platform != services.UTM_PLATFORM:
        raise Http404("Not a UTM campaign mapping.")
    if not _can_write(request):
        raise PermissionDenied("Viewers cannot map campaigns.")
    try:
        changed = services.utm_mapping_delete(actor=request.user, mapping=mapping)
    except StoreError as error:
        messages.error(request, f"The mapping was kept: {error}")
    else:
        messages.success(
            request, f"“{mapping.external_name}” is no longer mapped: {changed:,} touchpoints updated."
        )
    return redirect("data_utm_campaigns", ws=request.workspace.slug)


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def collect_site_create(request: HttpRequest) -> HttpResponse:
    form = CollectSiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.collectsite_create(
                actor=request.user,
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                origin=form.cleaned_data["origin"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Site added: paste the snippet into its pages.")
            return redirect("data_home", ws=request.workspace.slug)
    return render(
        request, "data/site_form.html", {"form": form, "site": None}, status=400 if form.errors else 200
    )


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def collect_site_edit(request: HttpRequest, collectsite_pk: int) -> HttpResponse:
    site = scoped_or_404(CollectSite, request.workspace, collectsite_pk)
    form = CollectSiteForm(request.POST or None, instance=site)
    if request.method == "POST":
        if request.POST.get("delete"):
            services.collectsite_delete(actor=request.user, site=site)
            messages.success(request, f"Site {site.name} removed.")
            return redirect("data_home", ws=request.workspace.slug)
        if form.is_valid():
            try:
                services.collectsite_update(
                    actor=request.user,
                    site=site,
                    name=form.cleaned_data["name"],
                    origin=form.cleaned_data["origin"],
                    is_active=form.cleaned_data["is_active"],
                    rotate_key=form.cleaned_data["rotate_key"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Site saved.")
                return redirect("data_home", ws=request.workspace.slug)
    return render(
        request, "data/site_form.html", {"form": form, "site": site}, status=400 if form.errors else 200
    )
