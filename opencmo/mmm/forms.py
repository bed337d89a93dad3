from decimal import Decimal

from django import forms

DATE = forms.DateInput(attrs={"type": "date"})


class RunForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label="Channels", widget=forms.CheckboxSelectMultiple, help_text="Channels with booked spend."
    )
    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="To", widget=DATE, help_text="At least 26 whole weeks; two years is better.")
    target = forms.ChoiceField(
        label="Outcome", choices=[("revenue", "Revenue (orders)"), ("conversions", "Conversions")]
    )
    adstock = forms.ChoiceField(
        label="Carry-over",
        choices=[("geometric", "Geometric (decays every week)"), ("weibull", "Weibull (can peak later)")],
    )
    saturation = forms.ChoiceField(
        label="Diminishing returns",
        choices=[("hill", "Hill (can be S-shaped)"), ("logistic", "Logistic")],
    )
    method = forms.ChoiceField(
        label="Method",
        choices=[
            ("map", "Fast: MAP with Laplace intervals (seconds)"),
            ("bayes", "Full Bayes: PyMC-Marketing (minutes)"),
        ],
    )

    def __init__(self, *args, channels: list[tuple[str, str]], bayes: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = channels
        if not bayes:
            self.fields["method"].choices = self.fields["method"].choices[:1]
            self.fields["method"].help_text = "Full Bayes needs PyMC-Marketing, which is not installed here."


class OptimiseForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="To", widget=DATE)
    total = forms.DecimalField(
        label="Total budget",
        min_value=Decimal("0.01"),
        max_digits=16,
        decimal_places=2,
        help_text="For these channels over the period; empty: what the current plan has.",
        required=False,
    )

    def __init__(self, *args, channels: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.channel_rows = []
        for key, name in channels:
            low = forms.DecimalField(
                label=f"{name}: minimum", required=False, min_value=0, max_digits=16, decimal_places=2
            )
            high = forms.DecimalField(
                label=f"{name}: maximum", required=False, min_value=0, max_digits=16, decimal_places=2
            )
            self.fields[f"min_{key}"] = low
            self.fields[f"max_{key}"] = high
            self.channel_rows.append((key, name))

    def bounds(self) -> tuple[dict, dict]:
        lows, highs = {}, {}
        for key, _ in self.channel_rows:
            if self.cleaned_data.get(f"min_{key}") is not None:
                lows[key] = self.cleaned_data[f"min_{key}"]
            if self.cleaned_data.get(f"max_{key}") is not None:
                highs[key] = self.cleaned_data[f"max_{key}"]
        return lows, highs

    def clean(self):
        data = super().clean()
        for key, name in getattr(self, "channel_rows", []):
            low, high = data.get(f"min_{key}"), data.get(f"max_{key}")
            if low is not None and high is not None and low > high:
                self.add_error(f"max_{key}", f"{name}: the maximum is below the minimum.")
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The period must end after it starts.")
        return data
