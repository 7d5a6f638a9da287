import pytest

from django.core.exceptions import ImproperlyConfigured

from cms.env import env_bool, env_int, env_list, env_str


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("False", False), ("", False)],
)
def test_env_bool_parses_strictly(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", default=not expected) is expected


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG", default=False)


def test_env_defaults_and_types(monkeypatch):
    monkeypatch.delenv("MISSING", raising=False)
    assert env_bool("MISSING", default=True) is True
    assert env_int("MISSING", 7) == 7
    assert env_list("MISSING", ["a"]) == ["a"]
    assert env_str("MISSING", "x") == "x"
    monkeypatch.setenv("NUM", "12")
    assert env_int("NUM", 0) == 12
    monkeypatch.setenv("NUM", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("NUM", 0)
    monkeypatch.setenv("HOSTS", "a.example, b.example ,")
    assert env_list("HOSTS") == ["a.example", "b.example"]


def test_required_env_str(monkeypatch):
    monkeypatch.delenv("SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SECRET"):
        env_str("SECRET", required=True)


def test_env_int_minimum(monkeypatch):
    monkeypatch.setenv("DAYS", "30")
    assert env_int("DAYS", 180, minimum=30) == 30
    monkeypatch.setenv("DAYS", "29")
    with pytest.raises(ImproperlyConfigured, match="DAYS must be at least 30"):
        env_int("DAYS", 180, minimum=30)
    monkeypatch.delenv("DAYS")
    assert env_int("DAYS", 180, minimum=30) == 180
