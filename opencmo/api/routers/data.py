"""Imports: their runs and status, and uploading a file (multipart) to queue one."""

import datetime as dt

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from opencmo.api.common import (
    PageIn,
    choices,
    get_or_404,
    ordering,
    page_of,
    paginate,
    responses,
    workspace_for,
)
from opencmo.data import selectors, services
from opencmo.data.models import ImportRun

router = Router(tags=["data"])


class ImportOut(Schema):
    id: int
    kind: str
    filename: str
    size: int
    dry_run: bool
    status: str
    progress: int
    rows_read: int
    counts: dict[str, int]
    problems: list[dict]
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@router.get("/w/{ws}/imports", response=responses(page_of(ImportOut)))
def list_imports(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    kind: choices(ImportRun.Kind) | None = None,
    status: choices(ImportRun.Status) | None = None,
    order: ordering("created_at", "status", "id") = "-created_at",
):
    workspace = workspace_for(request, ws, "data").workspace
    rows = selectors.import_runs(workspace, kind=kind or "", status=status or "")
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/imports/{importrun_pk}", response=responses(ImportOut))
def get_import(request: HttpRequest, ws: str, importrun_pk: int):
    """One run: poll `status` and `progress` until it is succeeded, checked, duplicate or failed."""
    return get_or_404(ImportRun, workspace_for(request, ws, "data").workspace, importrun_pk)


@router.post("/w/{ws}/imports", response=responses(ImportOut, 202))
def upload_import(
    request: HttpRequest,
    ws: str,
    kind: Form[choices(ImportRun.Kind)],
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
):
    """Upload a file (multipart/form-data) and queue its import; answers 202 with the queued run.
    Ad-platform reports need the budget right to keep spend data."""
    workspace = workspace_for(request, ws, "data", write=True).workspace
    run = services.importrun_create(
        actor=request.user,
        workspace=workspace,
        kind=kind,
        filename=file.name or "upload",
        data=file.read(services.MAX_UPLOAD + 1),
        dry_run=dry_run,
    )
    return Status(202, run)
