import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_missing_required_variable_names_it(monkeypatch):
    monkeypatch.delenv("SOME_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SOME_REQUIRED is required"):
        env.env_str("SOME_REQUIRED")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("off", False), ("No", False)])
def test_bool_reader_accepts_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env.env_bool("FLAG") is expected


def test_empty_value_means_default_and_required_empty_value_is_refused(monkeypatch):
    monkeypatch.setenv("FLAG", "  ")
    assert env.env_bool("FLAG", True) is True
    with pytest.raises(ImproperlyConfigured, match="FLAG is required"):
        env.env_str("FLAG")


def test_bool_reader_rejects_garbage(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env.env_bool("DEBUG")


def test_int_reader_rejects_text_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="N='ten' is not an integer"):
        env.env_int("N")
    monkeypatch.setenv("N", "-1")
    with pytest.raises(ImproperlyConfigured, match="N=-1 must be at least 0"):
        env.env_int("N", minimum=0)


def test_list_reader_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, b.example ,,")
    assert env.env_list("HOSTS") == ["a.example", "b.example"]


def test_url_reader_rejects_wrong_scheme(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/crm")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must be a URL with scheme postgres"):
        env.env_url("DATABASE_URL", schemes=("postgres", "postgresql"))


def test_database_url_with_socket_host_and_port():
    tcp = env.database_from_url("DATABASE_URL", "postgres://u:p@db.internal:6543/crm")
    assert (tcp["HOST"], tcp["PORT"], tcp["NAME"], tcp["USER"], tcp["PASSWORD"]) == (
        "db.internal",
        "6543",
        "crm",
        "u",
        "p",
    )
    socket = env.database_from_url("DATABASE_URL", "postgresql://postgres:@/crm?host=/tmp/pg&sslmode=disable")
    assert (socket["HOST"], socket["NAME"], socket["OPTIONS"]) == ("/tmp/pg", "crm", {"sslmode": "disable"})


def test_database_url_without_database_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="must name a database"):
        env.database_from_url("DATABASE_URL", "postgres://u@host:5432/")


def test_database_url_with_bad_port_is_refused():
    with pytest.raises(ImproperlyConfigured, match="invalid port"):
        env.database_from_url("DATABASE_URL", "postgres://u@host:notaport/crm")
