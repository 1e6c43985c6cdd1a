"""The platform's state: RDS MySQL, ElastiCache, DynamoDB tables and SQS queues for Celery.

2015 kept its state in RDS, DynamoDB and ElastiCache and ran async work through Celery on SQS.
`State` creates the stores `showrunner:state` defines, and nothing that could lose data on a
mistaken `pulumi up`:

- every stateful resource carries Pulumi's `protect` and `retain_on_delete` (`state.protect`,
  default true; only a non-prod stack may turn it off);
- on top of that, AWS's own guards: RDS and DynamoDB deletion protection, final snapshots with a
  stable name for the database and the cache, point-in-time recovery on tables, 14 days on DLQs.

The pure builders (`names`, `documents`, and `contract`: a service's environment, its fleet's IAM
statements and security-group ports) are what the tests compare exactly; the component only turns
them into resources. A fleet reaches the stores through `Endpoints`, plain values resolved after
deploy. See README.md beside this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from showrunner.config.models import State as StateSettings
from showrunner.config.models import Table as TableSettings
from showrunner_components.state.contract import CACHE_PORT, MYSQL_PORT, Endpoints
from showrunner_components.state.documents import mysql_parameters, parameter_group_family, redrive_policy, table_attributes
from showrunner_components.state.names import final_snapshot_identifier, queue_name, resource_name, table_name
from showrunner_components.tagging import merge_tags

DEAD_LETTER_RETENTION_SECONDS = 1_209_600
"""14 days, the most SQS keeps a message: time to notice, fix the task and redrive."""
LONG_POLL_SECONDS = 20
"""The longest SQS allows: idle workers make one request per 20 s instead of a busy loop."""


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

