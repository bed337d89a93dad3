"""Start-up behaviour of the real settings module, each in a fresh process as a deployment would run."""

import os
import subprocess
import sys

import pytest


def run_opencmo(*args: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENCMO_", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "DJANGO_"))
    }
    clean.update({"OPENCMO_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "opencmo.cli", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "SECRET_KEY": "k3v9-production-like-secret-0f8e7d6c5b4a39281706f5e4d3c2b1a0-zz",
    "ALLOWED_HOSTS": "opencmo.example.com",
}


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run_opencmo("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_secret_key_outside_debug_fails_loudly(tmp_path):
    result = run_opencmo("check", env={}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is required when OPENCMO_DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OPENCMO_DEBUG": "perhaps"}, "OPENCMO_DEBUG='perhaps' is not a boolean"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "supports sqlite:// and postgres:// only"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS='a year' is not a whole number"),
    ],
)
def test_bad_values_are_named(env, message, tmp_path):
    result = run_opencmo("check", env={**PRODUCTION, **env}, tmp_path=tmp_path)
    assert result.returncode != 0 and message in result.stderr


def test_debug_keeps_a_generated_key_in_the_data_dir(tmp_path):
    result = run_opencmo("check", env={"OPENCMO_DEBUG": "1"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "dev_secret_key"
    assert len(key_file.read_text()) >= 50 and oct(key_file.stat().st_mode)[-3:] == "600"
