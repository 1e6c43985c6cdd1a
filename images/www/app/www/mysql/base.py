"""Django's MySQL backend, reading the password from a file for every new connection.

On a fleet host the password is the application user's IAM token, which the host rewrites every
5 minutes (`DATABASE_PASSWORD_FILE`); a rotated password is likewise a new file. Open connections
keep working (a server never drops an authenticated session when the password changes), so
requests in flight are untouched; each new connection reads the file, and an authentication
failure is retried a few times, reading the file again each time, before it is raised. No restart
is ever needed for a new credential.
"""

from __future__ import annotations

import time

from django.db.backends.mysql import base

AUTH_FAILURES = frozenset({1044, 1045, 1698})
"""MySQL's "access denied" errors: a wrong or stale credential, which a newer file may fix."""
RETRY_DELAYS = (0.25, 0.5, 1.0)
"""Seconds between the attempts after an authentication failure: 1.75 s in all, well within a request."""


def read_password(settings_dict: dict) -> str:
    """The current password: the file's content (`PASSWORD_FILE`), or the static `PASSWORD`."""
    path = settings_dict.get("PASSWORD_FILE")
    if not path:
        return settings_dict["PASSWORD"]
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as error:
        # As the server would answer a wrong password: readiness reports it as this host's problem.
        raise base.Database.OperationalError(1045, f"DATABASE_PASSWORD_FILE {path} cannot be read ({error.strerror})") from None


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        if self.settings_dict.get("PASSWORD_FILE"):
            params["password"] = read_password(self.settings_dict)
        return params

    def get_new_connection(self, conn_params: dict):
        for delay in RETRY_DELAYS:
            try:
                return super().get_new_connection(conn_params)
            # The driver's own OperationalError: PyMySQL's classes may be loaded twice (as pymysql and
            # as MySQLdb), so it is recognised by its MySQL error code, not its class.
            except Exception as error:
                if not (self.settings_dict.get("PASSWORD_FILE") and is_auth_failure(error)):
                    raise
            time.sleep(delay)
            conn_params = {**conn_params, "password": read_password(self.settings_dict)}
        return super().get_new_connection(conn_params)


def is_auth_failure(error: BaseException) -> bool:
    """Whether a driver (or Django-wrapped) error is MySQL refusing the credential."""
    cause = error.__cause__ if error.__cause__ is not None else error
    return bool(getattr(cause, "args", None)) and cause.args[0] in AUTH_FAILURES
