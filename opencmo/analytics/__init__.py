"""OpenCMO's analytics engine: metrics, journeys, attribution, CLV, MMM and budget optimisation.

Pure Python over DuckDB and NumPy. It must never import Django (tests/analytics/test_no_django.py
enforces this), so it can run in notebooks, workers and other engines without the web app.
"""
