"""The table behind each chart: one definition serves the page's table view and the CSV export, so the
two always hold the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from opencmo.insights import selectors

TEXT_KINDS = {"text", "link", "date", "month"}


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = (
        "text"  # text, link, money, ratio, pct (share), percent (x100), count, number, float, date, month
    )

    @property
    def numeric(self) -> bool:
        return self.kind not in TEXT_KINDS


@dataclass
class Table:
    columns: list[Column]
    rows: list[tuple]

    @property
    def display_rows(self) -> list[list[tuple]]:
        """Rows as (value, kind) pairs, for the page's table view."""
        kinds = [c.kind for c in self.columns]
        return [list(zip(row, kinds, strict=True)) for row in self.rows]

    @property
    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    def html(self, testid: str = "") -> SafeString:
        """The table view, rendered here rather than in a template loop: a year of weekly rows per
        channel is hundreds of cells, and this is ~10x faster than the template engine."""
        from opencmo.insights.templatetags.insights import cell

        head = format_html_join(
            "", "<th{}>{}</th>", ((' class="num"' if c.numeric else "", c.label) for c in self.columns)
        )
        body = format_html_join(
            "\n",
            "<tr>{}</tr>",
            (
                (
                    format_html_join(
                        "",
                        "<td{}>{}</td>",
                        (
                            (' class="num"' if column.numeric else "", cell(value, column.kind))
                            for value, column in zip(row, self.columns, strict=True)
                        ),
                    ),
                )
                for row in self.rows
            ),
        )
        return format_html(
            '<table class="table compact" data-testid="{}"><thead><tr>{}</tr></thead>'
            "<tbody>{}</tbody></table>",
            testid,
            head,
            body,
        )

    def csv_rows(self) -> list[list]:
        """Raw values: Decimals as exact text, shares as fractions, dates as ISO."""
        out = []
        for row in self.rows:
            cells = []
            for value in row:
                if value is None:
                    cells.append("")
                elif isinstance(value, tuple):  # (label, url) of a link column
                    cells.append(value[0])
                elif isinstance(value, float):
                    cells.append(f"{value:.6g}")
                elif hasattr(value, "isoformat"):
                    cells.append(value.isoformat())
                else:
                    cells.append(value)
            out.append(cells)
        return out


@dataclass
class Panel:
    """One dashboard card: a chart, its table and CSV, or an explanation why there is nothing to show."""

    key: str
    title: str
    table: Table
    chart: SafeString | None = None
    note: str = ""
    empty: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url) under the table rows

    @property
    def is_empty(self) -> bool:
        return not self.table.rows

    @cached_property
    def table_html(self) -> SafeString:
        return self.table.html(f"table-{self.key}")


def _money(currency: str | None) -> str:
    return f" ({currency})" if currency else ""


def objectives_table(rows: Sequence[selectors.ObjectiveRow]) -> Table:
    return Table(
        [
            Column("Objective"),
            Column("KPI"),
            Column("Actual", "number"),
            Column("Expected by now", "number"),
            Column("Target", "number"),
            Column("% of target", "percent"),
            Column("Projected at period end", "number"),
            Column("Period end", "date"),
            Column("Status"),
        ],
        [
            (
                r.objective,
                r.kpi,
                r.actual,
                r.expected,
                r.target,
                r.pct_of_target,
                r.projected_end,
                r.period_end,
                r.status_label,
            )
            for r in rows
        ],
    )


def budget_months_table(months: Sequence[selectors.MonthRow], currency: str) -> Table:
    cur = _money(currency)
    return Table(
        [
            Column("Plan"),
            Column("Month", "month"),
            Column(f"Planned{cur}", "money"),
            Column(f"Actual{cur}", "money"),
            Column(f"Committed{cur}", "money"),
            Column(f"Variance{cur}", "money"),
        ],
        [
            (m.plan, m.month, m.planned, m.actual, m.committed, m.planned - m.actual - m.committed)
            for m in months
        ],
    )


def budget_channels_table(rows: Sequence[selectors.ChannelBudgetRow], currency: str) -> Table:
    cur = _money(currency)
    return Table(
        [
            Column("Channel"),
            Column(f"Budget{cur}", "money"),
            Column(f"Actual{cur}", "money"),
            Column(f"Committed{cur}", "money"),
            Column(f"Landing forecast{cur}", "money"),
        ],
        [(r.channel, r.amount, r.actual, r.committed, r.landing) for r in rows],
    )


def channels_table(rows: Sequence[selectors.ChannelRow], currency: str | None, link=None) -> Table:
    """`link(channel) -> url` makes the channel names links (to the channel page)."""
    cur = _money(currency)
    return Table(
        [
            Column("Channel", "link"),
            Column(f"Spend{cur}", "money"),
            Column("Share of spend", "pct"),
            Column(f"Revenue{cur}", "money"),
            Column("ROAS", "ratio"),
            Column("Leads", "count"),
            Column(f"CPL{cur}", "money"),
            Column("New customers", "count"),
            Column(f"CAC{cur}", "money"),
        ],
        [
            (
                (r.channel, link(r.channel) if link else ""),
                r.spend,
                r.share_of_spend,
                r.revenue,
                r.roas,
                r.leads,
                r.cpl,
                r.new_customers,
                r.cac,
            )
            for r in rows
        ],
    )


def trend_table(points: Sequence[selectors.TrendPoint], currency: str | None) -> Table:
    cur = _money(currency)
    return Table(
        [
            Column("Period from", "date"),
            Column("Channel"),
            Column(f"Spend{cur}", "money"),
            Column(f"Revenue{cur}", "money"),
            Column("ROAS", "ratio"),
            Column("Conversions (platform)", "number"),
        ],
        [(p.period, p.channel, p.spend, p.revenue, p.roas, p.conversions) for p in points],
    )


def attribution_table(rows: Sequence[selectors.CreditRow]) -> Table:
    return Table(
        [
            Column("Model"),
            Column("Channel"),
            Column("Conversions credited", "float"),
            Column("Share", "pct"),
            Column("Value credited", "float"),
        ],
        [(r.model, r.channel, r.conversions, r.share, r.value) for r in rows],
    )


def pipeline_table(pipeline: selectors.Pipeline) -> Table:
    first = pipeline.steps[0][1] if pipeline.steps else 0
    return Table(
        [Column("Step"), Column("People", "count"), Column("Of MQLs", "pct")],
        [(label, n, (Decimal(n) / Decimal(first)) if first else None) for label, n in pipeline.steps],
    )


def campaigns_table(rows: Sequence[selectors.CampaignRow], currency: str | None, *, rank: str = "") -> Table:
    cur = _money(currency)
    columns = [
        Column("Campaign", "link"),
        Column(f"Spend{cur}", "money"),
        Column(f"Revenue{cur}", "money"),
        Column("ROAS", "ratio"),
        Column(f"CAC{cur}", "money"),
    ]
    body = [((r.name, r.url), r.spend, r.revenue, r.roas, r.cac) for r in rows]
    if rank:
        columns.insert(0, Column("Rank"))
        body = [(rank, *row) for row in body]
    return Table(columns, body)


def kpi_rows_table(
    rows, currency: str | None, *, first: str = "Period from", first_kind: str = "date"
) -> Table:
    """Engine KpiRows (a campaign's trend or its channels) as a table."""
    cur = _money(currency)
    return Table(
        [
            Column(first, first_kind),
            Column(f"Spend{cur}", "money"),
            Column("Impressions", "count"),
            Column("Clicks", "count"),
            Column("CTR", "pct"),
            Column("Conversions (platform)", "number"),
            Column(f"Revenue{cur}", "money"),
            Column("ROAS", "ratio"),
            Column(f"CPL{cur}", "money"),
            Column(f"CAC{cur}", "money"),
        ],
        [
            (
                r.period if first_kind == "date" else r.channel,
                r.spend,
                r.impressions,
                r.clicks,
                r.ctr,
                r.conversions,
                r.revenue,
                r.roas,
                r.cpl,
                r.cac,
            )
            for r in rows
        ],
    )
