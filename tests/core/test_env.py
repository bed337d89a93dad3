import pytest
from django.core.exceptions import ImproperlyConfigured

from opencmo.env import env_bool, env_int, env_list, env_str


def test_bool_accepts_common_spellings(monkeypatch):
    for raw, expected in [
        ("1", True),
        ("yes", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("", False),
    ]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected


def test_bool_rejects_garbage_and_names_the_variable(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"FLAG='maybe' is not a boolean"):
        env_bool("FLAG", False)


def test_int_rejects_text_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("PORT", "twenty")
    with pytest.raises(ImproperlyConfigured, match="PORT='twenty' is not a whole number"):
        env_int("PORT", 25)
    monkeypatch.setenv("PORT", "-1")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("PORT", 25, minimum=1)


def test_required_string_fails_loudly(monkeypatch):
    monkeypatch.delenv("NEEDED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="NEEDED is required"):
        env_str("NEEDED")
    assert env_str("NEEDED", "fallback") == "fallback"


def test_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]
