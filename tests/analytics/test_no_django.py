"""opencmo.analytics must stay free of Django, so it runs anywhere (notebooks, workers, other engines)."""

import ast
import subprocess
import sys
from pathlib import Path

import opencmo.analytics

PACKAGE = Path(opencmo.analytics.__file__).parent


def test_no_module_in_analytics_imports_django_or_the_web_apps():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")
                if top[0] == "django" or (top[0] == "opencmo" and len(top) > 1 and top[1] != "analytics"):
                    offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert not offenders, offenders


def test_importing_analytics_loads_no_django():
    code = (
        "import sys, pkgutil, importlib, opencmo.analytics as a\n"
        "for m in pkgutil.walk_packages(a.__path__, 'opencmo.analytics.'): importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"analytics pulled in: {result.stdout} {result.stderr}"
