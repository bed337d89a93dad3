from django import forms

from opencmo.data.models import CollectSite, ImportRun

ACCEPT = ".csv,.tsv,.txt,.xlsx,.json,.ndjson,.jsonl,.parquet"


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What is this file?", choices=ImportRun.Kind.choices)
    file = forms.FileField(
        label="File",
        help_text="CSV/TSV (any of the platforms' encodings), XLSX, or for GA4 NDJSON/Parquet. Up to 512 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    dry_run = forms.BooleanField(
        label="Dry run: check the file and report every problem without writing anything",
        required=False,
        initial=True,
    )


class CollectSiteForm(forms.ModelForm):
    rotate_key = forms.BooleanField(label="Issue a new site key (the old one stops working)", required=False)

    class Meta:
        model = CollectSite
        fields = ["name", "origin", "is_active"]
        labels = {"origin": "Site origin", "is_active": "Collecting"}


class UtmMapForm(forms.Form):
    """Map one UTM campaign name to one of the workspace's campaigns."""

    name = forms.CharField(max_length=255, widget=forms.HiddenInput)
    campaign = forms.ModelChoiceField(queryset=None, label="Our campaign", empty_label="Choose a campaign…")

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        from opencmo.campaigns.models import Campaign

        self.fields["campaign"].queryset = Campaign.objects.filter(workspace=workspace).order_by("name")
