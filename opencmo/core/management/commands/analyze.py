"""`opencmo analyze attribution`: multi-touch attribution from the command line.

Reads the journeys of a workspace's analytics store (``OPENCMO_DATA_DIR/analytics``) or a
ChannelAttribution-style path CSV (``--paths``, no workspace needed), runs one or more attribution
models, prints a table and optionally writes CSV. Exit codes: 0 fine, 2 bad input (unknown workspace,
unreadable or invalid file, bad option, nothing to attribute).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opencmo.analytics.attribution import Markov, make_model
from opencmo.analytics.paths import PathTable, PathTableError
from opencmo.analytics.progress import Stages, TextProgress
from opencmo.analytics.store import Store, StoreError

BAD_INPUT = 2
ORDER = [
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
]


def analytics_dir() -> Path:
    return Path(getattr(settings, "ANALYTICS_DIR", Path(settings.DATA_DIR) / "analytics"))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"“{text}” is not a date: use YYYY-MM-DD.", returncode=BAD_INPUT) from None


class _Raw:
    """A Django OutputWrapper seen as a plain text stream (no newline added), for the progress bar."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()


class Command(BaseCommand):
    help = "Analyse marketing data: multi-touch attribution."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{attribution}")
        sub = actions.add_parser(
            "attribution",
            help="Credit conversions to channels with one or more attribution models.",
            description="Credit conversions (and their value) to marketing channels.",
        )
        source = sub.add_mutually_exclusive_group(required=True)
        source.add_argument("--workspace", help="Journeys from this workspace's analytics store (its slug).")
        source.add_argument(
            "--paths",
            metavar="FILE.csv",
            help="A path table: path (a > b > c), total_conversions[, total_conversion_value, total_null].",
        )
        sub.add_argument(
            "--model",
            default="markov",
            help=f"Comma-separated models, or all: {', '.join(ORDER)} (markov2/markov3 for higher orders).",
        )
        sub.add_argument("--order", type=int, default=1, choices=[1, 2, 3], help="Markov chain order.")
        sub.add_argument(
            "--half-life", type=float, default=7.0, help="Time decay half-life (days, or touches)."
        )
        sub.add_argument(
            "--max-exact", type=int, default=15, help="Shapley: largest channel set solved exactly."
        )
        sub.add_argument("--samples", type=int, default=2000, help="Shapley: random orders for larger sets.")
        sub.add_argument("--seed", type=int, default=0, help="Shapley: random seed.")
        sub.add_argument("--sep", default=">", help="Channel separator in --paths (default >).")
        sub.add_argument("--lookback-days", type=float, default=30, help="Store: touches this recent count.")
        sub.add_argument("--max-touches", type=int, help="Keep only each journey's last N touches.")
        sub.add_argument("--kind", action="append", help="Store: conversion kinds to attribute (repeatable).")
        sub.add_argument("--start", type=_date, help="Store: first conversion date (YYYY-MM-DD).")
        sub.add_argument("--end", type=_date, help="Store: last conversion date (YYYY-MM-DD).")
        sub.add_argument("--currency", help="Currency of the conversion values.")
        sub.add_argument("--fx", action="append", metavar="CUR=RATE", help="Exchange rate into --currency.")
        sub.add_argument("--out", metavar="FILE.csv", help="Also write the results as CSV (- for stdout).")
        bar = sub.add_mutually_exclusive_group()
        bar.add_argument("--progress", dest="progress", action="store_true", default=None)
        bar.add_argument("--no-progress", dest="progress", action="store_false")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    # --- attribution ---

    def _models(self, options) -> list:
        names = [n.strip() for n in options["model"].split(",") if n.strip()]
        if names == ["all"]:
            names = ORDER
        if not names:
            raise CommandError("Name at least one model.", returncode=BAD_INPUT)
        models = []
        for name in names:
            key = name.lower().replace("-", "_")
            params = {}
            if key == "markov":
                params = {"order": options["order"]}
            elif key == "time_decay":
                params = {"half_life": options["half_life"]}
            elif key == "shapley":
                params = {
                    "max_exact": options["max_exact"],
                    "n_samples": options["samples"],
                    "random_state": options["seed"],
                }
            try:
                model = make_model(key, **params)
                model.check_params()
            except ValueError as error:
                raise CommandError(str(error), returncode=BAD_INPUT) from None
            models.append(model)
        return models

    def _fx(self, options) -> dict[str, Decimal] | None:
        if not options["fx"]:
            return None
        rates = {}
        for item in options["fx"]:
            code, _, rate = item.partition("=")
            try:
                value = Decimal(rate)
            except InvalidOperation:
                value = None
            if len(code) != 3 or not code.isalpha() or value is None or value <= 0:
                raise CommandError(f"--fx {item}: write it as EUR=11.5.", returncode=BAD_INPUT)
            rates[code.upper()] = value
        return rates

    def _paths(self, options, progress) -> PathTable:
        try:
            if options["paths"]:
                progress(0.0, "reading paths")
                table = PathTable.from_csv(options["paths"], sep=options["sep"], currency=options["currency"])
                where = options["paths"]
            else:
                from opencmo.core.models import Workspace

                ws = Workspace.objects.filter(slug=options["workspace"]).first()
                if ws is None:
                    raise CommandError(
                        f"No workspace with the slug “{options['workspace']}”.", returncode=BAD_INPUT
                    )
                store_path = analytics_dir() / f"workspace-{ws.pk}.duckdb"
                if not store_path.exists():
                    raise CommandError(
                        f"{ws.slug} has no analytics data yet: import ad, GA4 or event data first.",
                        returncode=BAD_INPUT,
                    )
                progress(0.0, "reading journeys")
                with Store.for_workspace(analytics_dir(), ws.pk, read_only=True) as store:
                    table = PathTable.from_store(
                        store,
                        start=options["start"],
                        end=options["end"],
                        lookback_days=options["lookback_days"],
                        kinds=options["kind"],
                        currency=options["currency"],
                        fx=self._fx(options),
                    )
                where = f"{ws.slug} ({options['lookback_days']:g}-day lookback)"
        except PathTableError as error:
            if len(error.problems) > 1:
                for problem in error.problems:
                    self.stderr.write(problem)
            count = len(error.problems)
            summary = error.problems[0] if count == 1 else f"{count} problems (listed above)"
            raise CommandError(f"Cannot use {options['paths']}: {summary}.", returncode=BAD_INPUT) from None
        except (ValueError, StoreError) as error:
            raise CommandError(str(error), returncode=BAD_INPUT) from None
        if options["max_touches"] is not None:
            try:
                table = table.trim(max_touches=options["max_touches"])
            except ValueError as error:
                raise CommandError(str(error), returncode=BAD_INPUT) from None
        if table.n_paths == 0 or table.total_conversions <= 0:
            raise CommandError(f"No conversions to attribute in {where}.", returncode=BAD_INPUT)
        self._where = where
        return table

    def _attribution(self, **options) -> None:
        if options["paths"]:
            store_only = [f"--{name}" for name in ("kind", "start", "end", "fx") if options[name]]
            if store_only:
                raise CommandError(
                    f"{', '.join(store_only)} apply to a workspace's store, not to --paths.",
                    returncode=BAD_INPUT,
                )
        models = self._models(options)
        enabled = sys.stderr.isatty() if options["progress"] is None else options["progress"]
        bar = TextProgress(_Raw(self.stderr), enabled=enabled)
        stages = Stages(bar, len(models) + 1)
        stages.start(0, "reading")
        table = self._paths(options, stages)
        for index, model in enumerate(models, start=1):
            stages.start(index, model.label or model.name)
            model.fit(table, progress=stages)
        bar(1.0, "done")
        bar.finish()
        self._print(table, models)
        if options["out"]:
            self._write(options["out"], models)

    def _print(self, table: PathTable, models) -> None:
        currency = f" {table.currency}" if table.currency else ""
        head = ["channel"]
        for model in models:
            name = model.name if not isinstance(model, Markov) or model.order == 1 else f"markov{model.order}"
            head += [f"{name} conv", f"{name} value{currency}"]
        credits = {m: {r.channel: r for r in m.results()} for m in models}
        channels = [r.channel for r in models[0].results()]
        rows = [
            [channel]
            + [
                cell
                for m in models
                for cell in (f"{credits[m][channel].conversions:,.2f}", f"{credits[m][channel].value:,.2f}")
            ]
            for channel in channels
        ]
        total = ["Total"] + [
            cell for m in models for cell in (f"{m.conversions_.sum():,.2f}", f"{m.value_.sum():,.2f}")
        ]
        widths = [max(len(str(r[i])) for r in [head, *rows, total]) for i in range(len(head))]

        def line(cells) -> str:
            return "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        self.stdout.write(line(head))
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            self.stdout.write(line(row))
        self.stdout.write(line(total))
        paths, conversions = table.n_paths, table.total_conversions
        note = f"{paths:,} paths, {conversions:,.0f} conversions from {self._where}."
        if table.unattributed[0]:
            note += f" {table.unattributed[0]:,.0f} conversions had no touch in the window and are not shown."
        self.stdout.write(note)

    def _write(self, out: str, models) -> None:
        header = ["model", "channel", "conversions", "conversion_value", "share", "removal_effect"]
        rows = []
        for model in models:
            effects = dict(zip(model.channels_, getattr(model, "removal_effects_", []), strict=False))
            name = model.name if not isinstance(model, Markov) or model.order == 1 else f"markov{model.order}"
            for r in model.results():
                effect = effects.get(r.channel)
                rows.append(
                    [
                        name,
                        r.channel,
                        f"{r.conversions:.6f}",
                        f"{r.value:.6f}",
                        f"{r.share:.6f}",
                        "" if effect is None else f"{effect:.6f}",
                    ]
                )
        if out == "-":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
            return
        try:
            with Path(out).open("w", encoding="utf-8", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(header)
                writer.writerows(rows)
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}.", returncode=BAD_INPUT) from None
        self.stderr.write(f"Wrote {len(rows)} rows to {out}.")
