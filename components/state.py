"""The platform's state: RDS MySQL, ElastiCache, DynamoDB tables and SQS queues for Celery.

2015 kept its state in RDS, DynamoDB and ElastiCache and ran async work through Celery on SQS.
`State` creates the stores `showrunner:state` defines, and nothing that could lose data on a
mistaken `pulumi up`:

- every stateful resource carries Pulumi's `protect` and `retain_on_delete` (`state.protect`,
  default true; only a non-prod stack may turn it off);
- on top of that, AWS's own guards: RDS and DynamoDB deletion protection, final snapshots with a
  stable name for the database and the cache, point-in-time recovery on tables, 14 days on DLQs.

The pure builders below (names, the parameter group, redrive policies, a service's environment,
its fleet's IAM statements and security-group ports) are what the tests compare exactly; the
component only turns them into resources. A fleet reaches the stores through `Endpoints`, plain
values resolved after deploy. See `components/state.md`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.settings import STORES
from components.settings import State as StateSettings
from components.settings import Table as TableSettings
from components.tagging import merge_tags

MYSQL_PORT = 3306
CACHE_PORT = 6379
DEAD_LETTER_RETENTION_SECONDS = 1_209_600
"""14 days, the most SQS keeps a message: time to notice, fix the task and redrive."""
LONG_POLL_SECONDS = 20
"""The longest SQS allows: idle workers make one request per 20 s instead of a busy loop."""
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
DATABASE_PASSWORD_KEY = "password"
"""The JSON key of the password in the secret RDS manages."""
AWS_API_STORES = frozenset({"queues", "tables"})
"""Stores a container reaches through the AWS API (credentials from the fleet's role)."""
NETWORK_STORES = {"mysql": MYSQL_PORT, "cache": CACHE_PORT}
"""Stores a container reaches over the VPC: its fleet's security group must be admitted."""


# --- names -------------------------------------------------------------------------------------


def resource_name(stack: str, store: str) -> str:
    return f"showrunner-{stack}-{store}"


def queue_name(stack: str, queue: str, *, dead_letter: bool = False) -> str:
    return f"showrunner-{stack}-{queue}" + ("-dlq" if dead_letter else "")


def table_name(stack: str, table: str) -> str:
    return f"showrunner-{stack}-{table}"


def final_snapshot_identifier(stack: str, store: str) -> str:
    """Stable, so that the snapshot a deletion leaves behind is where the runbook says it is."""
    return f"showrunner-{stack}-{store}-final"


def table_env_name(table: str) -> str:
    return "DYNAMODB_TABLE_" + table.upper().replace("-", "_")


# --- documents ---------------------------------------------------------------------------------


def parameter_group_family(engine_version: str) -> str:
    major, minor = engine_version.split(".")[:2]
    return f"mysql{major}.{minor}"


def mysql_parameters() -> list[dict[str, str]]:
    """The parameter group's settings: the server refuses any connection that is not TLS."""
    return [{"name": "require_secure_transport", "value": "ON", "apply_method": "immediate"}]


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}, separators=(",", ":"))


def table_attributes(table: TableSettings) -> list[dict[str, str]]:
    """Only the key attributes are declared: DynamoDB refuses attribute definitions no key uses."""
    attributes = [{"name": table.hash_key, "type": table.hash_key_type}]
    if table.range_key is not None:
        attributes.append({"name": table.range_key, "type": table.range_key_type})
    return attributes


# --- what a fleet gets -------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """Where each store is, resolved after deploy. A store the stack does not define is None/empty."""

    region: str
    mysql_host: str | None = None
    mysql_database: str | None = None
    mysql_username: str | None = None
    mysql_secret_arn: str | None = None
    cache_host: str | None = None
    queues: dict[str, dict[str, str]] = field(default_factory=dict)
    """Celery queue name → {"url", "arn"}, in the configured order (the first is the default)."""
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    """Table key in config → {"name", "arn"}."""


def uses_of(services: Iterable) -> list[str]:
    """The stores any of these services uses, in the canonical order."""
    used = {store for service in services for store in service.uses}
    return [store for store in STORES if store in used]


def service_env(uses: Sequence[str], endpoints: Endpoints) -> dict[str, str]:
    """The environment a container gets for the stores it uses; no secret is in it."""
    env: dict[str, str] = {}
    if "mysql" in uses:
        env.update(
            DATABASE_HOST=endpoints.mysql_host,
            DATABASE_PORT=str(MYSQL_PORT),
            DATABASE_NAME=endpoints.mysql_database,
            DATABASE_USER=endpoints.mysql_username,
            DATABASE_TLS="required",
        )
    if "cache" in uses:
        env["CACHE_URL"] = f"rediss://{endpoints.cache_host}:{CACHE_PORT}/0"
    if "queues" in uses:
        env["CELERY_BROKER_URL"] = "sqs://"
        env["CELERY_PREDEFINED_QUEUES"] = json.dumps(
            {name: {"url": queue["url"]} for name, queue in endpoints.queues.items()}, separators=(",", ":")
        )
        env["CELERY_DEFAULT_QUEUE"] = next(iter(endpoints.queues))
    if "tables" in uses:
        env.update({table_env_name(name): table["name"] for name, table in endpoints.tables.items()})
    if AWS_API_STORES & set(uses):
        env["AWS_REGION"] = endpoints.region
    return dict(sorted(env.items()))


def service_secret_refs(uses: Sequence[str], endpoints: Endpoints) -> dict[str, str]:
    """`NAME → SECRET_ARN:JSON_KEY` for the host's fetcher: values that go to the env file only."""
    if "mysql" not in uses:
        return {}
    return {"DATABASE_PASSWORD": f"{endpoints.mysql_secret_arn}:{DATABASE_PASSWORD_KEY}"}


def access_statements(uses: Sequence[str], endpoints: Endpoints) -> list[dict]:
    """The fleet role's statements for its services' stores: those queues, those tables, that secret."""
    statements: list[dict] = []
    if "mysql" in uses:
        statements.append(
            {
                "Sid": "ReadDatabasePassword",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": endpoints.mysql_secret_arn,
            }
        )
    if "queues" in uses:
        statements.append(
            {
                "Sid": "UseCeleryQueues",
                "Effect": "Allow",
                "Action": QUEUE_ACTIONS,
                "Resource": sorted(queue["arn"] for queue in endpoints.queues.values()),
            }
        )
    if "tables" in uses:
        statements.append(
            {
                "Sid": "UseTables",
                "Effect": "Allow",
                "Action": TABLE_ACTIONS,
                "Resource": sorted(table["arn"] for table in endpoints.tables.values()),
            }
        )
    return statements


def ingress_ports(uses: Sequence[str]) -> dict[str, int]:
    """Store → port that the store's security group must open to the fleet."""
    return {store: port for store, port in NETWORK_STORES.items() if store in uses}


# --- the component -----------------------------------------------------------------------------


@dataclass
class StateArgs:
    stack: str
    settings: StateSettings
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    tags: dict[str, str] = field(default_factory=dict)


class State(pulumi.ComponentResource):
    """The stores of one stack. Fleets admit themselves to `security_group_ids` and read `endpoints`."""

    endpoints: pulumi.Output[Endpoints]
    security_group_ids: dict[str, pulumi.Output[str]]
    """Store (mysql, cache) → the security group in front of it; it has no ingress until a fleet adds its own."""

    def __init__(self, name: str, args: StateArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:state:State", name, None, opts)
        settings = args.settings
        self._stack = args.stack
        self._tags = merge_tags(args.tags, None, Service="state")
        self._child = pulumi.ResourceOptions(parent=self)
        self._stateful = pulumi.ResourceOptions(parent=self, protect=settings.protect, retain_on_delete=settings.protect)
        self._name = name
        self.security_group_ids = {}

        region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self)).region
        parts: dict[str, pulumi.Input] = {"region": region}
        if settings.mysql is not None:
            database = self._mysql(settings.mysql, args)
            parts.update(
                mysql_host=database.address,
                mysql_database=settings.mysql.database_name,
                mysql_username=settings.mysql.username,
                mysql_secret_arn=database.master_user_secrets.apply(lambda secrets: secrets[0].secret_arn),
            )
        if settings.cache is not None:
            parts["cache_host"] = self._cache(settings.cache, args).primary_endpoint_address
        queues = self._queues(settings) if settings.queues is not None else {}
        tables = {t: self._table(t, settings.tables[t]) for t in sorted(settings.tables)}
        parts.update(
            {f"queue_url:{q}": queue.url for q, queue in queues.items()},
            **{f"queue_arn:{q}": queue.arn for q, queue in queues.items()},
            **{f"table_name:{t}": table.name for t, table in tables.items()},
            **{f"table_arn:{t}": table.arn for t, table in tables.items()},
        )
        self.endpoints = pulumi.Output.all(**parts).apply(lambda v: _endpoints(v, list(queues), list(tables)))
        self.register_outputs({"security_group_ids": dict(self.security_group_ids)})

    def _security_group(self, store: str, vpc_id: pulumi.Input[str]) -> aws.ec2.SecurityGroup:
        group = aws.ec2.SecurityGroup(
            f"{self._name}-{store}-sg",
            vpc_id=vpc_id,
            description=f"showrunner {self._stack} {store}: only from the fleets whose services use it",
            tags=merge_tags(self._tags, f"{self._name}-{store}-sg"),
            opts=self._child,
        )
        self.security_group_ids[store] = group.id
        return group

    def _mysql(self, mysql, args: StateArgs) -> aws.rds.Instance:
        name = self._name
        group = self._security_group("mysql", args.vpc_id)
        subnets = aws.rds.SubnetGroup(
            f"{name}-mysql",
            name=resource_name(self._stack, "mysql"),
            description=f"showrunner {self._stack} mysql: private subnets only",
            subnet_ids=args.private_subnet_ids,
            tags=merge_tags(self._tags, f"{name}-mysql"),
            opts=self._child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-mysql",
            name=resource_name(self._stack, "mysql-tls"),
            family=parameter_group_family(mysql.engine_version),
            description=f"showrunner {self._stack} mysql: TLS required",
            parameters=[aws.rds.ParameterGroupParameterArgs(**p) for p in mysql_parameters()],
            tags=merge_tags(self._tags, f"{name}-mysql"),
            opts=self._child,
        )
        return aws.rds.Instance(
            f"{name}-mysql",
            identifier=resource_name(self._stack, "mysql"),
            engine="mysql",
            engine_version=mysql.engine_version,
            instance_class=mysql.instance_class,
            allocated_storage=mysql.allocated_storage_gb,
            max_allocated_storage=mysql.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=mysql.database_name,
            username=mysql.username,
            # RDS creates and rotates the password in Secrets Manager: it never enters config or state.
            manage_master_user_password=True,
            multi_az=mysql.multi_az,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            port=MYSQL_PORT,
            backup_retention_period=mysql.backup_retention_days,
            backup_window=mysql.backup_window,
            maintenance_window=mysql.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=final_snapshot_identifier(self._stack, "mysql"),
            auto_minor_version_upgrade=True,
            # Changes wait for the maintenance window; a resize or reboot never happens mid-peak.
            apply_immediately=False,
            tags=merge_tags(self._tags, f"{name}-mysql"),
            opts=self._stateful,
        )

    def _cache(self, cache, args: StateArgs) -> aws.elasticache.ReplicationGroup:
        name = self._name
        group = self._security_group("cache", args.vpc_id)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-cache",
            name=resource_name(self._stack, "cache"),
            description=f"showrunner {self._stack} cache: private subnets only",
            subnet_ids=args.private_subnet_ids,
            tags=merge_tags(self._tags, f"{name}-cache"),
            opts=self._child,
        )
        return aws.elasticache.ReplicationGroup(
            f"{name}-cache",
            replication_group_id=resource_name(self._stack, "cache"),
            description=f"showrunner {self._stack} cache",
            engine=cache.engine,
            engine_version=cache.engine_version,
            node_type=cache.node_type,
            num_cache_clusters=cache.num_cache_clusters,
            automatic_failover_enabled=cache.automatic_failover,
            multi_az_enabled=cache.multi_az,
            port=CACHE_PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            snapshot_retention_limit=cache.snapshot_retention_days,
            snapshot_window=cache.snapshot_window,
            final_snapshot_identifier=final_snapshot_identifier(self._stack, "cache"),
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            tags=merge_tags(self._tags, f"{name}-cache"),
            opts=self._stateful,
        )

    def _queues(self, settings: StateSettings) -> dict[str, aws.sqs.Queue]:
        queues = settings.queues
        result = {}
        for queue in queues.names:
            dead_letter = aws.sqs.Queue(
                f"{self._name}-queue-{queue}-dlq",
                name=queue_name(self._stack, queue, dead_letter=True),
                message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
                sqs_managed_sse_enabled=True,
                tags=merge_tags(self._tags, f"{self._name}-queue-{queue}-dlq"),
                opts=self._stateful,
            )
            result[queue] = aws.sqs.Queue(
                f"{self._name}-queue-{queue}",
                name=queue_name(self._stack, queue),
                visibility_timeout_seconds=queues.visibility_timeout_seconds,
                message_retention_seconds=queues.message_retention_seconds,
                receive_wait_time_seconds=LONG_POLL_SECONDS,
                sqs_managed_sse_enabled=True,
                redrive_policy=dead_letter.arn.apply(lambda arn: redrive_policy(arn, queues.max_receive_count)),
                tags=merge_tags(self._tags, f"{self._name}-queue-{queue}"),
                opts=self._stateful,
            )
        return result

    def _table(self, table: str, settings: TableSettings) -> aws.dynamodb.Table:
        return aws.dynamodb.Table(
            f"{self._name}-table-{table}",
            name=table_name(self._stack, table),
            # On demand: the 10-20x weekly swing needs no capacity planning or scaling policy.
            billing_mode="PAY_PER_REQUEST",
            hash_key=settings.hash_key,
            range_key=settings.range_key,
            attributes=[aws.dynamodb.TableAttributeArgs(**a) for a in table_attributes(settings)],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=True,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=settings.ttl_attribute, enabled=True) if settings.ttl_attribute else None,
            tags=merge_tags(self._tags, f"{self._name}-table-{table}"),
            opts=self._stateful,
        )


def _endpoints(values: dict, queues: list[str], tables: list[str]) -> Endpoints:
    return Endpoints(
        region=values["region"],
        mysql_host=values.get("mysql_host"),
        mysql_database=values.get("mysql_database"),
        mysql_username=values.get("mysql_username"),
        mysql_secret_arn=values.get("mysql_secret_arn"),
        cache_host=values.get("cache_host"),
        queues={q: {"url": values[f"queue_url:{q}"], "arn": values[f"queue_arn:{q}"]} for q in queues},
        tables={t: {"name": values[f"table_name:{t}"], "arn": values[f"table_arn:{t}"]} for t in tables},
    )
