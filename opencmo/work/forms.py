"""Forms for tasks and the work pages. Every choice of a person or campaign is limited to the workspace
(and campaigns to those the user may see)."""

from django import forms

from opencmo.core.models import Workspace
from opencmo.work import selectors
from opencmo.work.models import Task

Status = Task.Status
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DUE_CHOICES = [("", "Any due date"), ("late", "Late"), ("week", "Due this week"), ("none", "No due date")]


class PeopleChoice(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(
        choices=Task.Kind.choices,
        initial=Task.Kind.TASK,
        help_text="A deliverable (content piece, creative) is approved before it is done.",
    )
    deliverable_type = forms.CharField(
        max_length=60,
        required=False,
        label="Deliverable type",
        help_text="Blog post, ad creative, video, newsletter…",
        widget=forms.TextInput(attrs={"list": "deliverable-types"}),
    )
    campaign = forms.ModelChoiceField(queryset=None, required=False, empty_label="No campaign")
    due_date = forms.DateField(required=False, widget=DATE, label="Due")
    status = forms.ChoiceField(
        choices=[c for c in Status.choices if c[0] != Status.DONE], initial=Status.TODO, label="Column"
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    responsible = PeopleChoice(
        queryset=None, required=False, help_text="Does the work. Empty: you.", label="Responsible (R)"
    )
    accountable = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Accountable (A)",
        empty_label="The campaign's Accountable person (or you)",
        help_text="Approves and closes it. Exactly one person.",
    )
    consulted = PeopleChoice(
        queryset=None, required=False, label="Consulted (C)", help_text="Sign off before approval."
    )
    informed = PeopleChoice(queryset=None, required=False, label="Informed (I)", help_text="Kept posted.")

    PEOPLE = ("responsible", "accountable", "consulted", "informed")

    def __init__(
        self,
        *args,
        workspace: Workspace,
        user,
        editing: bool = False,
        people: bool = True,
        details: bool = True,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.fields["campaign"].queryset = selectors.visible_campaigns(user, workspace).order_by("name")
        everyone = selectors.people(workspace).order_by("name")
        for name in self.PEOPLE:
            self.fields[name].queryset = everyone
        if editing:
            del self.fields["status"]
            self.fields["accountable"].required = True
            self.fields["accountable"].empty_label = None
            self.fields["responsible"].required = True
            self.fields["responsible"].help_text = "Does the work."
        if not people:
            for name in self.PEOPLE:
                del self.fields[name]
        if not details:  # the Accountable person or an administrator, on a task they cannot edit
            for name in [n for n in self.fields if n not in self.PEOPLE]:
                del self.fields[name]

    def task_fields(self) -> dict:
        data = self.cleaned_data
        names = ("title", "kind", "deliverable_type", "campaign", "due_date", "description")
        return {name: data[name] for name in names if name in data}

    def people_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PEOPLE if name in self.fields}

    @property
    def main_fields(self):
        return [self[name] for name in self.fields if name not in self.PEOPLE]

    @property
    def people_bound(self):
        return [self[name] for name in self.PEOPLE if name in self.fields]


class BoardFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=None, required=False, empty_label="All campaigns")
    person = forms.ModelChoiceField(queryset=None, required=False, empty_label="Everyone")
    due = forms.ChoiceField(choices=DUE_CHOICES, required=False)

    def __init__(self, *args, workspace: Workspace, user, **kw):
        super().__init__(*args, **kw)
        self.fields["campaign"].queryset = selectors.visible_campaigns(user, workspace).order_by("name")
        self.fields["person"].queryset = selectors.people(workspace).order_by("name")

    def values(self) -> dict:
        self.is_valid()  # a bad value is dropped (shown as "any"), never an error page
        data = getattr(self, "cleaned_data", {})
        return {k: data.get(k) for k in ("campaign", "person", "due") if data.get(k)}


SORT_CHOICES = [
    ("due", "Due date"),
    ("-due", "Due date, latest first"),
    ("title", "Title"),
    ("status", "Column"),
    ("campaign", "Campaign"),
    ("updated", "Recently changed"),
]


class TaskListFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(
        choices=[("", "Any column"), ("open", "Open (not done)"), *Status.choices], required=False
    )
    campaign = forms.ModelChoiceField(queryset=None, required=False, empty_label="All campaigns")
    responsible = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone Responsible")
    kind = forms.ChoiceField(choices=[("", "Tasks and deliverables"), *Task.Kind.choices], required=False)
    due = forms.ChoiceField(choices=DUE_CHOICES, required=False)
    due_from = forms.DateField(required=False, widget=DATE, label="Due from")
    due_to = forms.DateField(required=False, widget=DATE, label="Due until")
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def __init__(self, *args, workspace: Workspace, user, **kw):
        super().__init__(*args, **kw)
        self.fields["campaign"].queryset = selectors.visible_campaigns(user, workspace).order_by("name")
        self.fields["responsible"].queryset = selectors.people(workspace).order_by("name")

    def values(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "")}


class ChecklistForm(forms.Form):
    text = forms.CharField(max_length=300, label="New checklist item")


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment", max_length=10_000)


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File", allow_empty_file=True)


class AgendaForm(forms.Form):
    manager = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="The whole workspace",
        label="Team",
        help_text="A manager and everyone reporting to them, directly or not.",
    )

    def __init__(self, *args, workspace: Workspace, **kw):
        super().__init__(*args, **kw)
        managers = selectors.people(workspace).filter(direct_reports__is_active=True).distinct()
        self.fields["manager"].queryset = managers.order_by("name")
        self.fields["manager"].label_from_instance = lambda p: f"Team of {p.name}"
