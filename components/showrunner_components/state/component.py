"""The platform's state: RDS MySQL, ElastiCache, DynamoDB tables and SQS queues for Celery.

2015 kept its state in RDS, DynamoDB and ElastiCache and ran async work through Celery on SQS.
`State` creates the stores its Args define, and nothing that could lose data on a
mistaken `pulumi up`:

- every stateful resource carries Pulumi's `protect` and `retain_on_delete` (`protect`, default
  true);
- on top of that, AWS's own guards: RDS and DynamoDB deletion protection, final snapshots with a
  stable name for the database and the cache, point-in-time recovery on tables, 14 days on DLQs.

Restoring any of them (RDS point-in-time restore into the stack, DynamoDB PITR, pointing the stack
at the restored instance) is docs/runbooks/restore.md.

Services connect to MySQL as an application user with IAM database authentication, never as the
master, whose password RDS rotates every 7 days: nothing on a host reads it. Every store has its
alarms here (`alarm_actions`, `alarms`), built by `showrunner_components.observability.alarms`.

The pure builders (`names`, `documents`, and `contract`: a service's environment, its fleet's IAM
statements and security-group ports) are what the tests compare exactly; the component only turns
them into resources. A fleet reaches the stores through `endpoints` (a `StateEndpoints`), plain
values resolved after deploy. See README.md beside this file.
"""

import pulumi
import pulumi_aws as aws

from showrunner_components.observability import alarms
from showrunner_components.state.args import StateAlarms, StateArgs, StateCache, StateMysql, StateQueues, StateTable
from showrunner_components.state.contract import CACHE_PORT, MYSQL_PORT, StateEndpoints
from showrunner_components.state.documents import mysql_parameters, parameter_group_family, redrive_policy, table_attributes
from showrunner_components.state.names import final_snapshot_identifier, queue_name, resource_name, table_name
from showrunner_components.tagging import merge_tags

__all__ = ["State", "StateAlarms", "StateArgs", "StateCache", "StateEndpoints", "StateMysql", "StateQueues", "StateTable"]

DEAD_LETTER_RETENTION_SECONDS = 1_209_600
"""14 days, the most SQS keeps a message: time to notice, fix the task and redrive."""
LONG_POLL_SECONDS = 20
"""The longest SQS allows: idle workers make one request per 20 s instead of a busy loop."""
MYSQL_DEFAULTS: StateMysql = {
    "engine_version": "8.0",
    "instance_class": "db.t3.medium",
    "allocated_storage": 50,
    "multi_az": False,
    "backup_retention_period": 7,
    "backup_window": "07:00-07:30",
    "maintenance_window": "sun:08:00-sun:08:30",
    "db_name": "showrunner",
    "username": "showrunner",
    "app_username": "showrunner_app",
}
CACHE_DEFAULTS: StateCache = {
    "engine": "valkey",
    "engine_version": "7.2",
    "node_type": "cache.t3.small",
    "num_cache_clusters": 1,
    "automatic_failover_enabled": False,
    "multi_az_enabled": False,
    "snapshot_retention_limit": 1,
    "snapshot_window": "05:00-06:00",
}
QUEUE_DEFAULTS = {"message_retention_seconds": 345_600, "max_receive_count": 5}
ALARM_DEFAULTS: StateAlarms = {
    "mysql_cpu_percent": alarms.MYSQL_CPU_PERCENT,
    "mysql_free_storage_percent": alarms.MYSQL_FREE_STORAGE_PERCENT,
    "mysql_free_memory_percent": alarms.MYSQL_FREE_MEMORY_PERCENT,
    "mysql_connections_percent": alarms.MYSQL_CONNECTIONS_PERCENT,
    "cache_memory_percent": alarms.CACHE_MEMORY_PERCENT,
    "cache_evictions": alarms.CACHE_EVICTIONS,
    "dead_letter_messages": alarms.DEAD_LETTER_MESSAGES,
}


class State(pulumi.ComponentResource):
    """The stores of one stack. Fleets admit themselves to `security_group_ids` and read `endpoints`."""

    endpoints: pulumi.Output[StateEndpoints]
    """Where each store is: what a service's environment and its fleet's role are built from
    (`showrunner_components.state.contract`)."""
    security_group_ids: pulumi.Output[dict[str, str]]
    """Store (mysql, cache) → the security group in front of it; it has no ingress until a fleet adds its own."""
    alarm_arns: pulumi.Output[list[str]]
    """Every store alarm (for a dashboard's alarm row)."""

    def __init__(self, name: str, args: StateArgs, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:state:State")]))
        super().__init__("showrunner:index:State", name, None, opts)
        protect = args.get("protect", True)
        self._stack = args["stack"]
        self._tags = merge_tags(args.get("tags", {}), None, Service="state")
        self._child = pulumi.ResourceOptions(parent=self)
        self._stateful = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        self._name = name
        self._groups: dict[str, pulumi.Output[str]] = {}
        self._thresholds = {**ALARM_DEFAULTS, **args.get("alarms", {})}
        self._alarm_options = alarms.actions(args.get("alarm_actions", []))
        self._alarms: list[aws.cloudwatch.MetricAlarm] = []

        invoke = pulumi.InvokeOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        parts: dict[str, pulumi.Input] = {"region": region}
        if "mysql" in args:
            mysql = {**MYSQL_DEFAULTS, **args["mysql"]}
            if mysql["app_username"] == mysql["username"]:
                raise ValueError(f"state {name}: mysql.app_username must differ from the master username ({mysql['username']})")
            database = self._mysql(mysql, args)
            partition = aws.get_partition_output(opts=invoke).partition
            account = aws.get_caller_identity_output(opts=invoke).account_id
            parts.update(
                mysql_host=database.address,
                mysql_identifier=database.identifier,
                mysql_database=mysql["db_name"],
                mysql_username=mysql["username"],
                mysql_secret_arn=database.master_user_secrets.apply(lambda secrets: secrets[0].secret_arn),
                mysql_app_username=mysql["app_username"],
                mysql_app_user_arn=pulumi.Output.concat(
                    "arn:", partition, ":rds-db:", region, ":", account, ":dbuser:", database.resource_id, "/", mysql["app_username"]
                ),
            )
            self._mysql_alarms(mysql, database)
        if "cache" in args:
            cache = {**CACHE_DEFAULTS, **args["cache"]}
            parts["cache_host"] = self._cache(cache, args).primary_endpoint_address
            self._cache_alarms(cache)
        queues = self._queues({**QUEUE_DEFAULTS, **args["queues"]}) if "queues" in args else {}
        tables = {key: self._table(key, table) for key, table in sorted(args.get("tables", {}).items())}
        parts["queues"] = {q: {"url": queue.url, "arn": queue.arn} for q, queue in queues.items()}
        parts["tables"] = {t: {"name": table.name, "arn": table.arn} for t, table in tables.items()}
        self.endpoints = pulumi.Output.from_input(parts)
        self.security_group_ids = pulumi.Output.from_input(self._groups)
        self.alarm_arns = pulumi.Output.all(*(alarm.arn for alarm in self._alarms)) if self._alarms else pulumi.Output.from_input([])
        self.register_outputs({"endpoints": self.endpoints, "security_group_ids": self.security_group_ids, "alarm_arns": self.alarm_arns})

    # --- alarms --------------------------------------------------------------------------------

    def _alarm(self, resource: str, spec: dict) -> None:
        self._alarms.append(
            aws.cloudwatch.MetricAlarm(f"{self._name}-alarm-{resource}", **spec, **self._alarm_options,
                                       tags=merge_tags(self._tags, spec["name"]), opts=self._child)
        )

    def _mysql_alarms(self, mysql: StateMysql, database: aws.rds.Instance) -> None:
        """CPU, free storage, free memory and connections of the database."""
        limits, prefix, identifier = self._thresholds, resource_name(self._stack, "mysql"), database.identifier
        self._alarm("mysql-cpu", alarms.mysql_cpu(f"{prefix}-cpu", identifier, limits["mysql_cpu_percent"]))
        self._alarm("mysql-free-storage", alarms.mysql_free_storage(
            f"{prefix}-free-storage", identifier, mysql["allocated_storage"], limits["mysql_free_storage_percent"]))
        self._alarm("mysql-free-memory", alarms.mysql_free_memory(
            f"{prefix}-free-memory", identifier, mysql["instance_class"], limits["mysql_free_memory_percent"]))
        self._alarm("mysql-connections", alarms.mysql_connections(
            f"{prefix}-connections", identifier, mysql["instance_class"], limits["mysql_connections_percent"]))

    def _cache_alarms(self, cache: StateCache) -> None:
        """Memory and evictions of each node (ElastiCache's metrics are per member cluster)."""
        for node in alarms.cache_member_ids(resource_name(self._stack, "cache"), cache["num_cache_clusters"]):
            suffix = node.rsplit("-", 1)[-1]
            self._alarm(f"cache-{suffix}-memory", alarms.cache_memory(f"{node}-memory", node, self._thresholds["cache_memory_percent"]))
            self._alarm(f"cache-{suffix}-evictions", alarms.cache_evictions(f"{node}-evictions", node, self._thresholds["cache_evictions"]))

    def _security_group(self, store: str, vpc_id: pulumi.Input[str]) -> aws.ec2.SecurityGroup:
        group = aws.ec2.SecurityGroup(
            f"{self._name}-{store}-sg",
            vpc_id=vpc_id,
            description=f"showrunner {self._stack} {store}: only from the fleets whose services use it",
            tags=merge_tags(self._tags, f"{self._name}-{store}-sg"),
            opts=self._child,
        )
        self._groups[store] = group.id
        return group

    def _mysql(self, mysql: StateMysql, args: StateArgs) -> aws.rds.Instance:
        name = self._name
        group = self._security_group("mysql", args["vpc_id"])
        subnets = aws.rds.SubnetGroup(
            f"{name}-mysql",
            name=resource_name(self._stack, "mysql"),
            description=f"showrunner {self._stack} mysql: private subnets only",
            subnet_ids=args["subnet_ids"],
            tags=merge_tags(self._tags, f"{name}-mysql"),
            opts=self._child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-mysql",
            name=resource_name(self._stack, "mysql-tls"),
            family=parameter_group_family(mysql["engine_version"]),
            description=f"showrunner {self._stack} mysql: TLS required",
            parameters=[aws.rds.ParameterGroupParameterArgs(**p) for p in mysql_parameters()],
            tags=merge_tags(self._tags, f"{name}-mysql"),
            opts=self._child,
        )
        return aws.rds.Instance(
            f"{name}-mysql",
            identifier=resource_name(self._stack, "mysql"),
            engine="mysql",
            engine_version=mysql["engine_version"],
            instance_class=mysql["instance_class"],
            allocated_storage=mysql["allocated_storage"],
            max_allocated_storage=mysql.get("max_allocated_storage"),
            storage_type="gp3",
            storage_encrypted=True,
            db_name=mysql["db_name"],
            username=mysql["username"],
            # RDS creates and rotates the password in Secrets Manager: it never enters config or state.
            manage_master_user_password=True,
            # Services connect as the application user with 15-minute IAM tokens, not a password.
            iam_database_authentication_enabled=True,
            multi_az=mysql["multi_az"],
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            port=MYSQL_PORT,
            backup_retention_period=mysql["backup_retention_period"],
            backup_window=mysql["backup_window"],
            maintenance_window=mysql["maintenance_window"],
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

    def _cache(self, cache: StateCache, args: StateArgs) -> aws.elasticache.ReplicationGroup:
        name = self._name
        group = self._security_group("cache", args["vpc_id"])
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-cache",
            name=resource_name(self._stack, "cache"),
            description=f"showrunner {self._stack} cache: private subnets only",
            subnet_ids=args["subnet_ids"],
            tags=merge_tags(self._tags, f"{name}-cache"),
            opts=self._child,
        )
        return aws.elasticache.ReplicationGroup(
            f"{name}-cache",
            replication_group_id=resource_name(self._stack, "cache"),
            description=f"showrunner {self._stack} cache",
            engine=cache["engine"],
            engine_version=cache["engine_version"],
            node_type=cache["node_type"],
            num_cache_clusters=cache["num_cache_clusters"],
            automatic_failover_enabled=cache["automatic_failover_enabled"],
            multi_az_enabled=cache["multi_az_enabled"],
            port=CACHE_PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            snapshot_retention_limit=cache["snapshot_retention_limit"],
            snapshot_window=cache["snapshot_window"],
            final_snapshot_identifier=final_snapshot_identifier(self._stack, "cache"),
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            tags=merge_tags(self._tags, f"{name}-cache"),
            opts=self._stateful,
        )

    def _queues(self, queues: StateQueues) -> dict[str, aws.sqs.Queue]:
        result = {}
        for queue in queues["names"]:
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
                visibility_timeout_seconds=queues["visibility_timeout_seconds"],
                message_retention_seconds=queues["message_retention_seconds"],
                receive_wait_time_seconds=LONG_POLL_SECONDS,
                sqs_managed_sse_enabled=True,
                redrive_policy=dead_letter.arn.apply(lambda arn: redrive_policy(arn, queues["max_receive_count"])),
                tags=merge_tags(self._tags, f"{self._name}-queue-{queue}"),
                opts=self._stateful,
            )
            dead_letter_name = queue_name(self._stack, queue, dead_letter=True)
            self._alarm(f"{queue}-dlq-depth", alarms.dead_letter(f"{dead_letter_name}-depth", dead_letter_name, self._thresholds["dead_letter_messages"]))
        return result

    def _table(self, key: str, table: StateTable) -> aws.dynamodb.Table:
        return aws.dynamodb.Table(
            f"{self._name}-table-{key}",
            name=table_name(self._stack, key),
            # On demand: the 10-20x weekly swing needs no capacity planning or scaling policy.
            billing_mode="PAY_PER_REQUEST",
            hash_key=table["hash_key"],
            range_key=table.get("range_key"),
            attributes=[aws.dynamodb.TableAttributeArgs(**a) for a in table_attributes(table)],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=True,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=table["ttl_attribute"], enabled=True) if table.get("ttl_attribute") else None,
            tags=merge_tags(self._tags, f"{self._name}-table-{key}"),
            opts=self._stateful,
        )

