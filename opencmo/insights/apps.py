import importlib.util

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "opencmo.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        # Import the chart stack at start-up, not on the first dashboard request. Altair takes pandas
        # from sys.modules when it is there; if pandas is installed and another thread (DuckDB, pyarrow)
        # is still importing it lazily, altair sees a half-initialised module and the page is a 500.
        # Under load several threads hit the first requests at once, so import pandas first, whole.
        if importlib.util.find_spec("pandas") is not None:
            import pandas  # noqa: F401

        from opencmo.insights import charts, vega  # noqa: F401
