"""A credential that changes while the site runs: the MySQL backend rereads the password file for
every new connection and retries an authentication failure; readiness tells a refused credential
from a store that does not answer; the application user is created with the rows' privileges only."""

import pytest
import pymysql
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import utils
from django.db.backends.mysql import base as django_mysql

from www import health
from www.mysql import base

SETTINGS = {"ENGINE": "www.mysql", "HOST": "127.0.0.1", "PORT": 3306, "NAME": "showrunner", "USER": "showrunner_app",
            "PASSWORD": "", "OPTIONS": {}, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True, "TIME_ZONE": None,
            "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "TEST": {}}


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "DATABASE_PASSWORD"
    path.write_text("first-token\n")
    return path


def test_the_password_is_the_files_content_read_each_time(password_file):
    settings = {**SETTINGS, "PASSWORD_FILE": str(password_file)}
    assert base.read_password(settings) == "first-token"
    password_file.write_text("second-token")
    assert base.read_password(settings) == "second-token"
    assert base.read_password({**SETTINGS, "PASSWORD": "static"}) == "static"


def test_a_missing_file_is_refused_like_a_wrong_password(tmp_path):
    with pytest.raises(Exception) as refused:
        base.read_password({**SETTINGS, "PASSWORD_FILE": str(tmp_path / "gone")})
    assert type(refused.value).__name__ == "OperationalError"
    assert refused.value.args[0] == 1045 and "cannot be read (No such file or directory)" in refused.value.args[1]


def test_an_authentication_failure_is_retried_with_the_file_read_again(password_file, monkeypatch):
    """The server already has the new credential, the file follows a moment later: no error reaches the request."""
    attempts = []

    def connect(self, params):
        attempts.append(params["password"])
        if params["password"] != "second-token":
            if len(attempts) == 2:
                password_file.write_text("second-token")  # the host's writer catches up
            raise pymysql.err.OperationalError(1045, "Access denied for user 'showrunner_app'")
        return "connection"

    monkeypatch.setattr(django_mysql.DatabaseWrapper, "get_new_connection", connect)
    monkeypatch.setattr(base.time, "sleep", lambda seconds: None)
    wrapper = base.DatabaseWrapper({**SETTINGS, "PASSWORD_FILE": str(password_file)})
    assert wrapper.get_new_connection(wrapper.get_connection_params()) == "connection"
    assert attempts == ["first-token", "first-token", "second-token"]


def test_other_errors_and_a_static_password_are_not_retried(password_file, monkeypatch):
    attempts = []

    def connect(self, params):
        attempts.append(params)
        raise pymysql.err.OperationalError(2003, "Can't connect to MySQL server")

    monkeypatch.setattr(django_mysql.DatabaseWrapper, "get_new_connection", connect)
    monkeypatch.setattr(base.time, "sleep", lambda seconds: pytest.fail("slept"))
    wrapper = base.DatabaseWrapper({**SETTINGS, "PASSWORD_FILE": str(password_file)})
    with pytest.raises(pymysql.err.OperationalError):
        wrapper.get_new_connection(wrapper.get_connection_params())
    assert len(attempts) == 1


def test_a_stale_credential_is_retried_for_at_most_under_two_seconds(password_file, monkeypatch):
    slept = []
    monkeypatch.setattr(django_mysql.DatabaseWrapper, "get_new_connection",
                        lambda self, params: (_ for _ in ()).throw(pymysql.err.OperationalError(1045, "Access denied")))
    monkeypatch.setattr(base.time, "sleep", slept.append)
    wrapper = base.DatabaseWrapper({**SETTINGS, "PASSWORD_FILE": str(password_file)})
    with pytest.raises(pymysql.err.OperationalError):
        wrapper.get_new_connection(wrapper.get_connection_params())
    assert slept == [0.25, 0.5, 1.0] and sum(slept) < 2


def _wrapped(code: int) -> utils.OperationalError:
    error = utils.OperationalError(code, "from the driver")
    error.__cause__ = pymysql.err.OperationalError(code, "from the driver")
    return error


@pytest.mark.django_db
def test_readiness_checks_the_database_and_the_cache(client):
    response = client.get("/readyz", HTTP_HOST="10.20.3.17")
    assert (response.status_code, response.json()) == (200, {"status": "ready", "checks": {"database": "ok", "cache": "ok"}})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "status", "body"),
    [
        (1045, 503, {"status": "not ready", "checks": {"database": "refused (1045)", "cache": "ok"}}),
        (2003, 200, {"status": "degraded", "checks": {"database": "unreachable (2003)", "cache": "ok"}}),
    ],
)
def test_a_refused_credential_takes_the_host_out_and_a_down_store_does_not(client, monkeypatch, code, status, body):
    def cursor():
        raise _wrapped(code)

    monkeypatch.setattr(health.connection, "cursor", cursor)
    response = client.get("/readyz", HTTP_HOST="10.20.3.17")
    assert (response.status_code, response.json()) == (status, body)
    # Liveness never looks at a store.
    assert client.get("/healthz", HTTP_HOST="10.20.3.17").status_code == 200


@pytest.mark.parametrize(
    ("error", "result"),
    [
        (type("AuthenticationError", (Exception,), {})("invalid username-password pair"), "refused (AuthenticationError)"),
        (Exception("WRONGPASS invalid username-password pair"), "refused (Exception)"),
        (ConnectionError("Error 111 connecting to 127.0.0.1:6379"), "unreachable (ConnectionError)"),
    ],
)
def test_the_cache_check_tells_refused_from_unreachable(monkeypatch, error, result):
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda key: (_ for _ in ()).throw(error))
    assert health._cache() == result


@pytest.mark.django_db
def test_the_app_user_is_made_on_mysql_only():
    with pytest.raises(CommandError, match="^the database is sqlite, not MySQL: there is no user to create$"):
        call_command("create_app_user", "showrunner_app", "--iam")


class _Recorded:
    """A cursor that formats each statement as PyMySQL does (`query % escaped params`, none without params)."""

    def __init__(self):
        self.statements: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        self.statements.append(sql if params is None else sql % tuple(pymysql.converters.escape_item(p, "utf8mb4") for p in params))


@pytest.mark.django_db
def test_the_app_user_statements_survive_the_drivers_formatting(monkeypatch, tmp_path):
    """The account's host is `%`: passed as a parameter, never part of the format string."""
    from django.db import connection

    cursor = _Recorded()
    monkeypatch.setattr(connection, "vendor", "mysql")
    monkeypatch.setattr(connection, "cursor", lambda: cursor)
    (tmp_path / "password").write_text("it's-50%\n")
    call_command("create_app_user", "showrunner_app", "--password-file", str(tmp_path / "password"))
    database = connection.ops.quote_name(connection.settings_dict["NAME"])
    assert cursor.statements == [
        "CREATE USER IF NOT EXISTS 'showrunner_app'@'%' IDENTIFIED BY 'it\\'s-50%'",
        "ALTER USER 'showrunner_app'@'%' IDENTIFIED BY 'it\\'s-50%'",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {database}.* TO 'showrunner_app'@'%'",
    ]
    cursor.statements.clear()
    call_command("create_app_user", "showrunner_app", "--iam")
    assert cursor.statements[0] == "CREATE USER IF NOT EXISTS 'showrunner_app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL"
