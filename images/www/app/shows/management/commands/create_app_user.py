"""`django-admin create_app_user USER (--iam | --password-file PATH)`: the user the site and the
workers connect as, with only the rows' privileges, created (or its password set) by the master.

A deploy step beside `migrate`, run with the master's credentials (docs/runbooks/restore.md says
when): on RDS with `--iam` (IAM database authentication, TLS required), locally with a password.
Idempotent: a second run changes nothing but the password it is given.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

USER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
"""Rows only: schema changes are migrations, which run as the master."""


class Command(BaseCommand):
    help = "Create the application user (or set its password) and grant it the database's rows."

    def add_arguments(self, parser):
        parser.add_argument("user")
        how = parser.add_mutually_exclusive_group(required=True)
        how.add_argument("--iam", action="store_true", help="IAM database authentication (RDS): no password at all")
        how.add_argument("--password-file", type=Path, help="a file holding the password (local databases)")

    def handle(self, *args, user: str, iam: bool, password_file: Path | None, **options):
        if connection.vendor != "mysql":
            raise CommandError(f"the database is {connection.vendor}, not MySQL: there is no user to create")
        if not USER.match(user):
            raise CommandError(f"{user!r} is not a MySQL user name (a letter, then letters, digits and underscores; at most 32)")
        if user == connection.settings_dict["USER"]:
            raise CommandError(f"{user} is the user this command connects as; the application user is another one")
        # The account as two string parameters ('user'@'%'), so the driver quotes both and no `%`
        # reaches its format string.
        account = [user, "%"]
        database = connection.ops.quote_name(connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            if iam:
                cursor.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL", account)
            else:
                try:
                    password = password_file.read_text(encoding="utf-8").strip()
                except OSError as error:
                    raise CommandError(f"--password-file {password_file}: {error.strerror}") from None
                if not password:
                    raise CommandError(f"--password-file {password_file} is empty")
                cursor.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", [*account, password])
                cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", [*account, password])
            cursor.execute(f"GRANT {PRIVILEGES} ON {database}.* TO %s@%s", account)
        self.stdout.write(f"create_app_user: {user} may {PRIVILEGES.lower()} rows of {connection.settings_dict['NAME']}")
