"""The store contract: what a service that `uses` a store gets, and what it may not set itself.

Validation (`showrunner.config`) and the builders here read the same constants: the environment
names each store gives a service (`STORE_ENV`, `STORE_ENV_PREFIXES`), the stores reached through
the AWS API with the fleet role's credentials (`AWS_API_STORES`) and those reached over the VPC
(`NETWORK_STORES`). `service_env` refuses to emit a name the contract does not list, so the two
cannot drift apart.

`StateEndpoints` is where the stores are once deployed (`State.endpoints`); every function here
reads that mapping. No `from __future__ import annotations`: `StateEndpoints` is a schema type.
"""

import json
from collections.abc import Iterable, Sequence
from typing import NotRequired, TypedDict

from showrunner_components.fleet.units import CONTAINER_CREDENTIALS_DIR

STORES = ("mysql", "cache", "queues", "tables")
"""Every store kind, in the canonical order."""
MYSQL_PORT = 3306
CACHE_PORT = 6379
DATABASE_PASSWORD_KEY = "password"
"""The JSON key of the password in the secret RDS manages (the master's: migrations and the restore runbook only)."""
DATABASE_PASSWORD_FILE = f"{CONTAINER_CREDENTIALS_DIR}/DATABASE_PASSWORD"
"""Where a container reads the application user's current IAM token (`DATABASE_PASSWORD_FILE`)."""
AWS_API_STORES = frozenset({"queues", "tables"})
"""Stores a container reaches through the AWS API (credentials from the fleet's role)."""
NETWORK_STORES = {"mysql": MYSQL_PORT, "cache": CACHE_PORT}
"""Stores a container reaches over the VPC: its fleet's security group must be admitted."""
STORE_ENV = {
    "mysql": ("DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_TLS", "DATABASE_PASSWORD", "DATABASE_PASSWORD_FILE"),
    "cache": ("CACHE_URL",),
    "queues": ("CELERY_BROKER_URL", "CELERY_PREDEFINED_QUEUES", "CELERY_DEFAULT_QUEUE", "AWS_REGION"),
    "tables": ("AWS_REGION",),
}
"""The environment names each store sets for a service that uses it (the database password as a
file the host keeps fresh, `DATABASE_PASSWORD_FILE`); a service may set none of them in `env` or `secrets`."""
STORE_ENV_PREFIXES = {"tables": ("DYNAMODB_TABLE_",)}
"""Name prefixes a store owns: one `DYNAMODB_TABLE_<KEY>` per table."""
QUEUE_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
]
"""What Celery's SQS transport needs with `predefined_queues`: it never lists or creates queues."""
TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
]


def reserved_env(uses: Iterable[str]) -> tuple[set[str], tuple[str, ...]]:
    """The names and name prefixes that the stores in `uses` set, which a service may not set."""
    names = {name for store in uses for name in STORE_ENV[store]}
    prefixes = tuple(prefix for store in uses for prefix in STORE_ENV_PREFIXES.get(store, ()))
    return names, prefixes


def table_env_name(table: str) -> str:
    return STORE_ENV_PREFIXES["tables"][0] + table.upper().replace("-", "_")


class StateQueueEndpoint(TypedDict):
    """One SQS queue of the stack."""

    url: str
    """The queue's URL, what Celery's `predefined_queues` names."""
    arn: str
    """The queue's ARN, what the fleet role is granted."""


class StateTableEndpoint(TypedDict):
    """One DynamoDB table of the stack."""

    name: str
    """The table's name in AWS (`showrunner-<stack>-<key>`)."""
    arn: str
    """The table's ARN, what the fleet role is granted."""


class StateEndpoints(TypedDict):
    """Where each store is, resolved after deploy. A store the stack does not define is absent."""

    region: str
    """The region every store is in."""
    mysql_host: NotRequired[str]
    """The database's address. Absent without `mysql`."""
    mysql_database: NotRequired[str]
    """The database's name. Absent without `mysql`."""
    mysql_identifier: NotRequired[str]
    """The RDS instance identifier (`showrunner-<stack>-mysql`, CloudWatch's `DBInstanceIdentifier`). Absent without `mysql`."""
    mysql_username: NotRequired[str]
    """The master user (migrations and the restore runbook; no service). Absent without `mysql`."""
    mysql_secret_arn: NotRequired[str]
    """The Secrets Manager secret RDS keeps (and rotates) the master password in. Absent without `mysql`."""
    mysql_app_username: NotRequired[str]
    """The user services connect as, with IAM database authentication. Absent without `mysql`."""
    mysql_app_user_arn: NotRequired[str]
    """`arn:…:rds-db:<region>:<account>:dbuser:<resource id>/<app user>`, what `rds-db:connect` is granted on. Absent without `mysql`."""
    cache_host: NotRequired[str]
    """The cache's primary endpoint. Absent without `cache`."""
    queues: dict[str, StateQueueEndpoint]
    """Celery queue name → its URL and ARN, in the configured order (the first is the default). Empty without `queues`."""
    tables: dict[str, StateTableEndpoint]
    """Table key → its name and ARN. Empty without `tables`."""


def uses_of(uses_lists: Iterable[Iterable[str]]) -> list[str]:
    """The stores any of these `uses` lists names, in the canonical order."""
    used = {store for uses in uses_lists for store in uses}
    return [store for store in STORES if store in used]


def service_env(uses: Sequence[str], endpoints: StateEndpoints) -> dict[str, str]:
    """The environment a container gets for the stores it uses; no secret is in it."""
    env: dict[str, str] = {}
    if "mysql" in uses:
        env.update(
            DATABASE_HOST=endpoints["mysql_host"],
            DATABASE_PORT=str(MYSQL_PORT),
            DATABASE_NAME=endpoints["mysql_database"],
            DATABASE_USER=endpoints["mysql_app_username"],
            DATABASE_TLS="required",
            DATABASE_PASSWORD_FILE=DATABASE_PASSWORD_FILE,
        )
    if "cache" in uses:
        env["CACHE_URL"] = f"rediss://{endpoints['cache_host']}:{CACHE_PORT}/0"
    if "queues" in uses:
        env["CELERY_BROKER_URL"] = "sqs://"
        env["CELERY_PREDEFINED_QUEUES"] = json.dumps(
            {name: {"url": queue["url"]} for name, queue in endpoints["queues"].items()}, separators=(",", ":")
        )
        env["CELERY_DEFAULT_QUEUE"] = next(iter(endpoints["queues"]))
    if "tables" in uses:
        env.update({table_env_name(name): table["name"] for name, table in endpoints["tables"].items()})
    if AWS_API_STORES & set(uses):
        env["AWS_REGION"] = endpoints["region"]
    names, prefixes = reserved_env(uses)
    undeclared = sorted(k for k in env if k not in names and not k.startswith(prefixes))
    if undeclared:
        raise ValueError(f"service_env sets {', '.join(undeclared)}, which STORE_ENV does not declare")
    return dict(sorted(env.items()))


def service_credential_files(uses: Sequence[str], endpoints: StateEndpoints) -> dict[str, str]:
    """`NAME → SOURCE` for the host (`FleetService.credential_files`): the application user's IAM
    token, minted every 5 minutes and read by the service at each new connection."""
    if "mysql" not in uses:
        return {}
    return {"DATABASE_PASSWORD": f"rds-iam:{endpoints['mysql_host']}:{MYSQL_PORT}:{endpoints['mysql_app_username']}"}


def access_statements(uses: Sequence[str], endpoints: StateEndpoints) -> list[dict]:
    """The fleet role's statements for its services' stores: those queues, those tables, that database user."""
    statements: list[dict] = []
    if "mysql" in uses:
        statements.append(
            {
                "Sid": "ConnectAsAppUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": endpoints["mysql_app_user_arn"],
            }
        )
    if "queues" in uses:
        statements.append(
            {
                "Sid": "UseCeleryQueues",
                "Effect": "Allow",
                "Action": QUEUE_ACTIONS,
                "Resource": sorted(queue["arn"] for queue in endpoints["queues"].values()),
            }
        )
    if "tables" in uses:
        statements.append(
            {
                "Sid": "UseTables",
                "Effect": "Allow",
                "Action": TABLE_ACTIONS,
                "Resource": sorted(table["arn"] for table in endpoints["tables"].values()),
            }
        )
    return statements


def ingress_ports(uses: Sequence[str]) -> dict[str, int]:
    """Store → port that the store's security group must open to the fleet."""
    return {store: port for store, port in NETWORK_STORES.items() if store in uses}

