"""Work pages: the Kanban board, the task list, my work, a task's page (checklist, comments, files,
approval) and the weekly status agenda. Views are thin: form -> service -> render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opencmo.core.exports import csv_response
from opencmo.core.forms import apply_errors
from opencmo.core.models import Access, AuditEvent
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import approvals, raci
from opencmo.org.forms import ApprovalRequestForm, DecisionForm, SignOffForm
from opencmo.org.models import ApprovalRequest, DecisionKind, SignOff
from opencmo.work import agenda as agenda_mod
from opencmo.work import selectors, services
from opencmo.work.forms import (
    AgendaForm,
    AttachmentForm,
    BoardFilterForm,
    ChecklistForm,
    CommentForm,
    TaskForm,
    TaskListFilterForm,
)
from opencmo.work.models import Attachment, ChecklistItem, Comment, Task
from opencmo.work.permissions import can_move, rights
from opencmo.work.uploads import ALLOWED_HELP, human_size, max_upload_bytes

Status = Task.Status
PER_PAGE = 50
DELIVERABLE_TYPES = [
    "Blog post",
    "Newsletter",
    "Ad creative",
    "Social post",
    "Video",
    "Landing page",
    "Press release",
    "Case study",
    "Brochure",
    "Presentation",
]


def _task_or_404(request: HttpRequest, task_pk: int) -> Task:
    task = scoped_or_404(Task, request.workspace, task_pk)
    if not raci.can_view(request.user, task.activity):
        raise Http404("No such task.")  # restricted: indistinguishable from missing
    return task


def _detail_url(task: Task, anchor: str = "") -> str:
    return services.task_url(task) + (f"#{anchor}" if anchor else "")


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- board ----------------------------------------------------------------------------------------


@workspace_view()
@require_GET
def work_board(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = BoardFilterForm(request.GET or None, workspace=workspace, user=request.user)
    filters = form.values() if request.GET else {}
    columns = selectors.board(request.user, workspace, **filters)
    return render(
        request,
        "work/board.html",
        {
            "columns": columns,
            "filter_form": form,
            "filtered": bool(filters),
            "statuses": Status.choices,
            "can_create": request.membership.access != Access.VIEWER,
            "today": timezone.localdate(),
        },
    )


def _target_position(request: HttpRequest, task: Task, status: str) -> int:
    """Where in column `status` the card goes: before the card `before`, one step `up`/`down`, an
    explicit `position`, or (by default) the end of the column."""
    column = list(
        Task.objects.filter(workspace=request.workspace, status=status)
        .exclude(pk=task.pk)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    direction = request.POST.get("direction", "")
    if direction in {"up", "down"} and status == task.status:
        return max(0, task.position + (-1 if direction == "up" else 1))
    before = request.POST.get("before", "")
    if before.isdigit() and int(before) in column:
        return column.index(int(before))
    position = request.POST.get("position", "")
    if position.isdigit():
        return int(position)
    return len(column)


@workspace_view()
@require_POST
def task_move(request: HttpRequest, task_pk: int) -> HttpResponse:
    """Move a card (drag and drop posts here with fetch; the "Move to" form without JavaScript)."""
    task = _task_or_404(request, task_pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    status = request.POST.get("status") or task.status
    if status not in Status.values:
        if wants_json:
            return JsonResponse({"ok": False, "error": "Unknown column."}, status=400)
        messages.error(request, "Unknown column.")
        return redirect(_next_or(request, reverse("work_board", kwargs={"ws": request.workspace.slug})))
    position = _target_position(request, task, status)
    fallback = reverse("work_board", kwargs={"ws": request.workspace.slug})
    try:
        moved = services.task_move(actor=request.user, task=task, status=status, position=position)
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"ok": False, "error": _error_text(error)}, status=400)
        messages.error(request, _error_text(error))
        return redirect(_next_or(request, fallback))
    except PermissionDenied as error:
        if wants_json:
            return JsonResponse({"ok": False, "error": str(error) or "Not allowed."}, status=403)
        raise
    label = Status(moved.status).label
    text = f"“{moved.title}” moved to {label}." if status != task.status else f"“{moved.title}” reordered."
    if wants_json:
        return JsonResponse(
            {"ok": True, "status": moved.status, "label": label, "position": moved.position, "message": text}
        )
    messages.success(request, text)
    return redirect(_next_or(request, fallback))


# --- list -----------------------------------------------------------------------------------------


def _list_query(request: HttpRequest) -> tuple[TaskListFilterForm, dict]:
    form = TaskListFilterForm(request.GET or None, workspace=request.workspace, user=request.user)
    values = form.values() if request.GET else {}
    args = {
        "status": values.get("status", ""),
        "campaign": values.get("campaign"),
        "responsible": values.get("responsible"),
        "kind": values.get("kind", ""),
        "due_from": values.get("due_from"),
        "due_to": values.get("due_to"),
        "query": values.get("q", ""),
        "sort": values.get("sort", "due"),
    }
    return form, {"values": values, "args": args}


def _filtered(request: HttpRequest, args: dict, due: str):
    qs = selectors.task_list(request.user, request.workspace, **args)
    return selectors.by_due(qs, due, timezone.localdate()) if due else qs


@workspace_view()
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    form, query = _list_query(request)
    qs = _filtered(request, query["args"], query["values"].get("due", ""))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "rows": selectors.cards(request.user, request.workspace, page.object_list),
        "query_string": params.urlencode(),
        "sort": query["args"]["sort"],
        "can_create": request.membership.access != Access.VIEWER,
        "total": page.paginator.count,
    }
    template = "work/_task_table.html" if request.htmx else "work/task_list.html"
    return render(request, template, context)


@workspace_view()
@require_GET
def task_export(request: HttpRequest) -> HttpResponse:
    _, query = _list_query(request)
    qs = _filtered(request, query["args"], query["values"].get("due", ""))
    rows = selectors.cards(request.user, request.workspace, qs)
    header = ["Title", "Kind", "Type", "Column", "Campaign", "Due", "Responsible", "Accountable", "Checklist"]
    return csv_response(
        f"tasks-{request.workspace.slug}-{timezone.localdate():%Y-%m-%d}.csv",
        header,
        (
            [
                c.task.title,
                c.task.get_kind_display(),
                c.task.deliverable_type,
                c.task.get_status_display(),
                c.task.campaign.name if c.task.campaign else "",
                c.task.due_date.isoformat() if c.task.due_date else "",
                ", ".join(p.name for p in c.people["R"]),
                ", ".join(p.name for p in c.people["A"]),
                f"{c.task.checklist_done}/{c.task.checklist_total}" if c.task.checklist_total else "",
            ]
            for c in rows
        ),
    )


# --- my work --------------------------------------------------------------------------------------


@workspace_view()
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    work = selectors.my_work(request.user, request.workspace)
    return render(request, "work/my_work.html", {"work": work, "today": timezone.localdate()})


# --- create, edit, delete -------------------------------------------------------------------------


def _require_writer(request: HttpRequest) -> None:
    if request.membership.access == Access.VIEWER:
        raise PermissionDenied("Viewers cannot create tasks.")


@workspace_view()
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    workspace = request.workspace
    if request.method == "POST":
        form = TaskForm(request.POST, workspace=workspace, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_create(
                    actor=request.user,
                    workspace=workspace,
                    status=data["status"],
                    **form.task_fields(),
                    **form.people_fields(),
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"“{task.title}” created.")
                return redirect(services.task_url(task))
    else:
        initial = {"status": request.GET.get("status", Status.TODO)}
        if initial["status"] not in Status.values or initial["status"] == Status.DONE:
            initial["status"] = Status.TODO
        if request.GET.get("kind") in Task.Kind.values:
            initial["kind"] = request.GET["kind"]
        form = TaskForm(initial=initial, workspace=workspace, user=request.user)
        campaign = request.GET.get("campaign", "")
        if campaign.isdigit() and form.fields["campaign"].queryset.filter(pk=campaign).exists():
            form.initial["campaign"] = int(campaign)
    return render(
        request,
        "work/task_form.html",
        {"form": form, "task": None, "deliverable_types": DELIVERABLE_TYPES},
    )


def _people_initial(task: Task) -> dict:
    entries = task.activity.raci.filter(person__isnull=False)
    by_letter = {letter: [e.person_id for e in entries if e.letter == letter] for letter in "RACI"}
    return {
        "responsible": by_letter["R"],
        "accountable": by_letter["A"][0] if len(by_letter["A"]) == 1 else None,
        "consulted": by_letter["C"],
        "informed": by_letter["I"],
    }


@workspace_view()
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, task_pk: int) -> HttpResponse:
    """R and A edit the task; A and administrators also choose who does what (only that, on a task they
    do not work on, or once it is done)."""
    task = _task_or_404(request, task_pk)
    granted = rights(request.user, task)
    if not granted.edit and not granted.people:
        if task.status == Status.DONE and granted.work:
            messages.error(request, "A done task is closed: move it out of Done to change it.")
            return redirect(services.task_url(task))
        raise PermissionDenied("Only the Responsible or Accountable people change this task.")
    workspace = request.workspace
    initial = {
        "title": task.title,
        "kind": task.kind,
        "deliverable_type": task.deliverable_type,
        "campaign": task.campaign_id,
        "due_date": task.due_date,
        "description": task.description,
        **(_people_initial(task) if granted.people else {}),
    }
    kwargs = {
        "workspace": workspace,
        "user": request.user,
        "editing": True,
        "people": granted.people,
        "details": granted.edit,
    }
    restricted = task.activity.restricted
    if request.method == "POST":
        form = TaskForm(request.POST, **kwargs)
        if form.is_valid():
            fields = form.task_fields() if granted.edit else {}
            if granted.people:
                fields["restricted"] = request.POST.get("restricted") == "on"
            try:
                with transaction.atomic():
                    services.task_update(actor=request.user, task=task, **fields)
                    if granted.people:
                        services.task_set_people(actor=request.user, task=task, **form.people_fields())
            except ValidationError as error:
                apply_errors(form, error)
                task.refresh_from_db()
            else:
                messages.success(request, "Saved; the people on the task were told.")
                return redirect(services.task_url(task))
        restricted = request.POST.get("restricted") == "on"
    else:
        form = TaskForm(initial=initial, **kwargs)
    return render(
        request,
        "work/task_form.html",
        {
            "form": form,
            "task": task,
            "rights": granted,
            "restricted": restricted,
            "deliverable_types": DELIVERABLE_TYPES,
            "role_entries": task.activity.raci.filter(role__isnull=False).select_related("role"),
        },
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def task_delete(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task_or_404(request, task_pk)
    if not rights(request.user, task).delete:
        raise PermissionDenied("Only an administrator or the Accountable person deletes a task.")
    if request.method == "POST":
        title = task.title
        services.task_delete(actor=request.user, task=task)
        messages.success(request, f"“{title}” deleted.")
        return redirect("work_board", ws=request.workspace.slug)
    return render(request, "work/task_confirm_delete.html", {"task": task})


# --- the task page --------------------------------------------------------------------------------


def _trace(request: HttpRequest, task: Task) -> dict | None:
    """task -> campaign -> objectives -> company goals."""
    campaign = task.campaign
    if campaign is None:
        return None
    objectives = [
        {
            "objective": objective,
            "url": selectors.objective_url(request.workspace, objective),
            "goals": list(objective.goals.all()),
        }
        for objective in campaign.objectives.prefetch_related("goals").order_by("title")
    ]
    return {
        "campaign": campaign,
        "url": selectors.campaign_url(request.workspace, campaign),
        "objectives": objectives,
    }


FIELD_NAMES = {"due_date": "due date", "deliverable_type": "deliverable type", "campaign": "campaign"}


def _label_of(status) -> str:
    return Status(status).label if status in Status.values else str(status)


def _history(task: Task) -> list[tuple]:
    """(when, who, what) for the task's audit rows, newest first, in words."""
    events = AuditEvent.objects.filter(
        workspace=task.workspace, object_type=Task._meta.label, object_id=str(task.pk)
    ).order_by("-at", "-id")[:20]
    names = selectors.names_of_users(task.workspace, [e.actor_id for e in events])
    lines = []
    for event in events:
        who = names.get(event.actor_id, event.actor_label)
        if event.action == AuditEvent.Action.CREATE:
            lines.append((event.at, who, "created it"))
            continue
        changes = dict(event.changes)
        parts = []
        if "status" in changes:
            old, new = changes["status"]
            parts.append(f"moved it from {_label_of(old)} to {_label_of(new)}")
        fields = [FIELD_NAMES.get(f, f) for f in changes if f not in {"status", "position", "completed_at"}]
        if fields:
            parts.append("changed " + ", ".join(fields))
        if not parts and "position" in changes:
            parts.append("reordered it in its column")
        if parts:
            lines.append((event.at, who, "; ".join(parts)))
    return lines


def _detail_context(request: HttpRequest, task: Task, **forms) -> dict:
    user, workspace = request.user, request.workspace
    granted = rights(user, task)
    resolver = selectors.Resolver(workspace)
    me = raci.person_for(user, workspace)
    requests = list(
        task.activity.approval_requests.select_related("requested_by", "approver", "decided_by")
        .prefetch_related("signoffs__person")
        .order_by("-created_at", "-pk")
    )
    open_request = next((r for r in requests if r.is_open), None)
    my_signoff = None
    if open_request and me:
        my_signoff = next(
            (
                s
                for s in open_request.signoffs.all()
                if s.person_id == me.pk and s.decision == SignOff.Decision.WAITING
            ),
            None,
        )
    finish_block = ""
    if task.status != Status.DONE:
        try:
            services.check_can_finish(task)
        except ValidationError as error:
            finish_block = _error_text(error)
    checklist = list(task.checklist.all())
    today = timezone.localdate()
    late_days = (today - task.due_date).days if task.due_date and task.status != Status.DONE else 0
    default_summary = f"Publish “{task.title}”" if task.kind == Task.Kind.DELIVERABLE else f"“{task.title}”"
    request_form = forms.get("request_form") or ApprovalRequestForm(
        initial={"kind": DecisionKind.CONTENT, "summary": default_summary[:300]}
    )
    return {
        "task": task,
        "rights": granted,
        "people": resolver.letters(task),
        "role_entries": task.activity.raci.filter(role__isnull=False).select_related("role"),
        "trace": _trace(request, task),
        "checklist": checklist,
        "checklist_done": sum(1 for i in checklist if i.done),
        "comments": task.comments.select_related("author"),
        "attachments": task.attachments.select_related("uploaded_by"),
        "history": _history(task),
        "moves": [(s, label, can_move(granted, task, s)) for s, label in Status.choices],
        "open_request": open_request,
        "past_requests": [r for r in requests if not r.is_open],
        "my_signoff": my_signoff,
        "can_request": bool(granted.letters & {"R", "A"}) and task.status != Status.DONE and not open_request,
        "can_decide": bool(
            open_request
            and me
            and open_request.approver_id == me.pk
            and open_request.status == ApprovalRequest.Status.PENDING
        ),
        "finish_block": finish_block,
        "late": late_days > 0,
        "late_days": late_days,
        "checklist_form": forms.get("checklist_form") or ChecklistForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "request_form": request_form,
        "signoff_form": forms.get("signoff_form") or SignOffForm(),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "max_upload": human_size(max_upload_bytes()),
        "allowed_files": ALLOWED_HELP,
        "activity_url": reverse(
            "activity_detail", kwargs={"ws": workspace.slug, "activity_pk": task.activity_id}
        ),
    }


@workspace_view()
@require_GET
def task_detail(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task_or_404(request, task_pk)
    return render(request, "work/task_detail.html", _detail_context(request, task))


def _rerender(request: HttpRequest, task: Task, status: int = 400, **forms) -> HttpResponse:
    return render(request, "work/task_detail.html", _detail_context(request, task, **forms), status=status)


# --- approvals ------------------------------------------------------------------------------------


def _open_request(task: Task) -> ApprovalRequest:
    found = task.activity.approval_requests.filter(status__in=services.OPEN_REQUEST).first()
    if found is None:
        raise Http404("No open approval request.")
    return found


@workspace_view()
@require_POST
def task_approval(request: HttpRequest, task_pk: int) -> HttpResponse:
    """Ask for approval (R/A), sign off (C), decide (the approver) or withdraw (the requester)."""
    task = _task_or_404(request, task_pk)
    action = request.POST.get("action", "")
    back = redirect(_detail_url(task, "approval"))
    if action == "request":
        form = ApprovalRequestForm(request.POST)
        if not form.is_valid():
            return _rerender(request, task, request_form=form)
        try:
            created = services.task_approval_request(actor=request.user, task=task, **form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                apply_errors(form, error)
                return _rerender(request, task, request_form=form)
            messages.error(request, _error_text(error))
            return back
        waiting = (
            "sign-off from the Consulted people"
            if created.signoffs.exists()
            else f"approval by {created.approver.name}"
        )
        messages.success(request, f"Approval requested; waiting for {waiting}.")
        return back
    if action == "signoff":
        pending = _open_request(task)
        me = raci.person_for(request.user, request.workspace)
        signoff = pending.signoffs.filter(person=me).first() if me else None
        if signoff is None:
            raise PermissionDenied("You are not Consulted on this request.")
        form = SignOffForm(request.POST)
        if not form.is_valid():
            return _rerender(request, task, signoff_form=form)
        try:
            approvals.signoff_answer(
                actor=request.user,
                signoff=signoff,
                agree=form.cleaned_data["decision"] == "agree",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                apply_errors(form, error)
                return _rerender(request, task, signoff_form=form)
            messages.error(request, _error_text(error))
            return back
        messages.success(request, "Your sign-off is recorded.")
        return back
    if action == "decide":
        pending = _open_request(task)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return _rerender(request, task, decision_form=form)
        try:
            decided = approvals.approval_decide(
                actor=request.user,
                request=pending,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                apply_errors(form, error)
                return _rerender(request, task, decision_form=form)
            messages.error(request, _error_text(error))
            return back
        messages.success(request, f"Request {decided.get_status_display().lower()}.")
        return back
    if action == "withdraw":
        approvals.approval_withdraw(actor=request.user, request=_open_request(task))
        messages.success(request, "Request withdrawn.")
        return back
    messages.error(request, "Unknown action.")
    return back


# --- checklist ------------------------------------------------------------------------------------


def _checklist_response(
    request: HttpRequest, task: Task, error: str = "", form=None, *, focus_add: bool = False
) -> HttpResponse:
    if request.htmx:
        items = list(task.checklist.all())
        return render(
            request,
            "work/_checklist.html",
            {
                "task": task,
                "rights": rights(request.user, task),
                "checklist": items,
                "checklist_done": sum(1 for i in items if i.done),
                "checklist_form": form or ChecklistForm(),
                "checklist_error": error,
                "focus_add": focus_add or bool(error),
            },
        )
    if error:
        messages.error(request, error)
    return redirect(_detail_url(task, "checklist"))


@workspace_view()
@require_POST
def checklist_add(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task_or_404(request, task_pk)
    form = ChecklistForm(request.POST)
    if not form.is_valid():
        return _checklist_response(request, task, "Write what is to be done (at most 300 characters).", form)
    try:
        services.checklist_add(actor=request.user, task=task, text=form.cleaned_data["text"])
    except ValidationError as error:
        return _checklist_response(request, task, _error_text(error), form)
    return _checklist_response(request, task, focus_add=True)


def _item_or_404(request: HttpRequest, checklistitem_pk: int) -> ChecklistItem:
    item = scoped_or_404(ChecklistItem, request.workspace, checklistitem_pk)
    _task_or_404(request, item.task_id)
    return item


@workspace_view()
@require_POST
def checklist_toggle(request: HttpRequest, checklistitem_pk: int) -> HttpResponse:
    item = _item_or_404(request, checklistitem_pk)
    done = request.POST.get("done")
    services.checklist_toggle(actor=request.user, item=item, done=None if done is None else done == "1")
    return _checklist_response(request, item.task)


@workspace_view()
@require_POST
def checklist_move(request: HttpRequest, checklistitem_pk: int) -> HttpResponse:
    item = _item_or_404(request, checklistitem_pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    services.checklist_move(actor=request.user, item=item, position=max(0, item.position + step))
    return _checklist_response(request, item.task)


@workspace_view()
@require_POST
def checklist_delete(request: HttpRequest, checklistitem_pk: int) -> HttpResponse:
    item = _item_or_404(request, checklistitem_pk)
    task = item.task
    services.checklist_delete(actor=request.user, item=item)
    return _checklist_response(request, task)


# --- comments -------------------------------------------------------------------------------------


@workspace_view()
@require_POST
def comment_add(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task_or_404(request, task_pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _rerender(request, task, comment_form=form)
    try:
        services.comment_add(actor=request.user, task=task, body=form.cleaned_data["body"])
    except ValidationError as error:
        apply_errors(form, error)
        return _rerender(request, task, comment_form=form)
    messages.success(request, "Comment added; the people on the task were told.")
    return redirect(_detail_url(task, "comments"))


def _comment_or_404(request: HttpRequest, comment_pk: int) -> Comment:
    comment = scoped_or_404(Comment, request.workspace, comment_pk)
    _task_or_404(request, comment.task_id)
    return comment


@workspace_view()
@require_POST
def comment_edit(request: HttpRequest, comment_pk: int) -> HttpResponse:
    comment = _comment_or_404(request, comment_pk)
    try:
        services.comment_edit(actor=request.user, comment=comment, body=request.POST.get("body", ""))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Comment updated.")
    return redirect(_detail_url(comment.task, f"comment-{comment.pk}"))


@workspace_view()
@require_POST
def comment_delete(request: HttpRequest, comment_pk: int) -> HttpResponse:
    comment = _comment_or_404(request, comment_pk)
    task = comment.task
    services.comment_delete(actor=request.user, comment=comment)
    messages.success(request, "Comment deleted.")
    return redirect(_detail_url(task, "comments"))


# --- attachments ----------------------------------------------------------------------------------


@workspace_view()
@require_POST
def attachment_upload(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task_or_404(request, task_pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _rerender(request, task, attachment_form=form)
    try:
        attachment = services.attachment_add(actor=request.user, task=task, upload=form.cleaned_data["file"])
    except ValidationError as error:
        apply_errors(form, error)
        return _rerender(request, task, attachment_form=form)
    messages.success(request, f"“{attachment.original_name}” attached.")
    return redirect(_detail_url(task, "files"))


def _attachment_or_404(request: HttpRequest, attachment_pk: int) -> Attachment:
    attachment = scoped_or_404(Attachment, request.workspace, attachment_pk)
    _task_or_404(request, attachment.task_id)
    return attachment


@workspace_view()
@require_GET
def attachment_download(request: HttpRequest, attachment_pk: int) -> FileResponse:
    """Files are served only here, after the task's visibility check; never from a public media URL."""
    attachment = _attachment_or_404(request, attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@workspace_view()
@require_POST
def attachment_delete(request: HttpRequest, attachment_pk: int) -> HttpResponse:
    attachment = _attachment_or_404(request, attachment_pk)
    task, name = attachment.task, attachment.original_name
    services.attachment_delete(actor=request.user, attachment=attachment)
    messages.success(request, f"“{name}” removed.")
    return redirect(_detail_url(task, "files"))


# --- status agenda --------------------------------------------------------------------------------


@workspace_view()
@require_GET
def status_agenda(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = AgendaForm(request.GET or None, workspace=workspace)
    manager = None
    if request.GET and form.is_valid():
        manager = form.cleaned_data.get("manager")
    agenda = agenda_mod.build(request.user, workspace, manager=manager)
    if request.GET.get("format") == "md":
        text = agenda_mod.agenda_markdown(agenda, base_url=request.build_absolute_uri("/").rstrip("/"))
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        team = f"-{manager.pk}" if manager else ""
        response["Content-Disposition"] = (
            f'attachment; filename="status-agenda-{workspace.slug}{team}-{agenda.today:%Y-%m-%d}.md"'
        )
        return response
    params = request.GET.copy()
    params["format"] = "md"
    return render(
        request,
        "work/status_agenda.html",
        {"agenda": agenda, "form": form, "markdown_query": params.urlencode()},
    )
