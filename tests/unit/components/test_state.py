"""The stores under mocks (prod and staging stack files), then the pure builders by exact comparison."""

from __future__ import annotations

import json
import re

import pytest

from showrunner_components.state import contract, documents, names
from showrunner_components.state.contract import StateEndpoints
from tests.conftest import by_type, one

ACCOUNT = "123456789012"
STATEFUL = (
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:dynamodb/table:Table",
    "aws:sqs/queue:Queue",
)
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:showrunner-prod-"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/showrunner-prod-watch-progress"


def test_prod_database_is_multi_az_encrypted_protected_with_a_managed_password(stack_run):
    run = stack_run("prod")
    database = one(run, "aws:rds/instance:Instance", "state-mysql")
    inputs = database.inputs
    expected = {
        "identifier": "showrunner-prod-mysql",
        "engine": "mysql",
        "engineVersion": "8.0",
        "instanceClass": "db.r6i.xlarge",
        "multiAz": True,
        "storageType": "gp3",
        "storageEncrypted": True,
        "allocatedStorage": 200,
        "maxAllocatedStorage": 1000,
        "manageMasterUserPassword": True,
        "backupRetentionPeriod": 14,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "showrunner-prod-mysql-final",
        "deleteAutomatedBackups": False,
        "publiclyAccessible": False,
        "port": 3306,
        "applyImmediately": False,
        "iamDatabaseAuthenticationEnabled": True,
    }
    assert {k: inputs.get(k) for k in expected} == expected
    assert "password" not in inputs, "the password never enters config or state"
    parameters = one(run, "aws:rds/parameterGroup:ParameterGroup", "state-mysql")
    assert parameters.inputs["family"] == "mysql8.0"
    assert parameters.inputs["parameters"] == [{"name": "require_secure_transport", "value": "ON", "applyMethod": "immediate"}]
    assert inputs["parameterGroupName"] == parameters.inputs["name"]
    subnets = one(run, "aws:rds/subnetGroup:SubnetGroup", "state-mysql")
    private = [s.urn for s in by_type(run, "aws:ec2/subnet:Subnet") if "-private-" in s.name]
    assert sorted(private) == sorted(u for u in subnets.dependencies if ":Subnet::" in u) and len(private) == 3
    assert inputs["dbSubnetGroupName"] == subnets.inputs["name"]


def test_prod_cache_fails_over_across_zones_with_tls_and_snapshots(stack_run):
    inputs = one(stack_run("prod"), "aws:elasticache/replicationGroup:ReplicationGroup", "state-cache").inputs
    expected = {
        "replicationGroupId": "showrunner-prod-cache",
        "engine": "valkey",
        "nodeType": "cache.r6g.large",
        "numCacheClusters": 3,
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "atRestEncryptionEnabled": True,
        "snapshotRetentionLimit": 7,
        "finalSnapshotIdentifier": "showrunner-prod-cache-final",
        "port": 6379,
    }
    assert {k: inputs.get(k) for k in expected} == expected


def test_tables_are_on_demand_with_pitr_deletion_protection_encryption_and_ttl(stack_run):
    tables = by_type(stack_run("prod"), "aws:dynamodb/table:Table")
    assert [t.name for t in tables] == ["state-table-watch-progress"]
    inputs = tables[0].inputs
    assert inputs["name"] == "showrunner-prod-watch-progress"
    assert inputs["billingMode"] == "PAY_PER_REQUEST"
    assert inputs["pointInTimeRecovery"] == {"enabled": True}
    assert inputs["deletionProtectionEnabled"] is True
    assert inputs["serverSideEncryption"] == {"enabled": True}
    assert inputs["ttl"] == {"attributeName": "expires_at", "enabled": True}
    assert (inputs["hashKey"], inputs["rangeKey"]) == ("user_id", "episode_id")
    assert inputs["attributes"] == [{"name": "user_id", "type": "S"}, {"name": "episode_id", "type": "S"}]


def test_each_celery_queue_has_a_dead_letter_queue_long_polling_and_sse(stack_run):
    queues = {q.name: q.inputs for q in by_type(stack_run("prod"), "aws:sqs/queue:Queue")}
    assert sorted(queues) == [
        "state-queue-celery", "state-queue-celery-dlq", "state-queue-notifications", "state-queue-notifications-dlq",
    ]
    for name in ("celery", "notifications"):
        queue, dead = queues[f"state-queue-{name}"], queues[f"state-queue-{name}-dlq"]
        assert queue["name"] == f"showrunner-prod-{name}" and dead["name"] == f"showrunner-prod-{name}-dlq"
        assert json.loads(queue["redrivePolicy"]) == {"deadLetterTargetArn": f"{QUEUE_ARN}{name}-dlq", "maxReceiveCount": 5}
        assert queue["visibilityTimeoutSeconds"] == 3600
        assert queue["receiveWaitTimeSeconds"] == 20
        assert dead["messageRetentionSeconds"] == 1_209_600
        assert queue["sqsManagedSseEnabled"] is True and dead["sqsManagedSseEnabled"] is True


@pytest.mark.parametrize(("stack", "protected"), [("prod", True), ("staging", False)])
def test_every_stateful_resource_is_protected_and_retained_unless_staging_opts_out(stack_run, stack, protected):
    stateful = [r for r in stack_run(stack).resources if r.type in STATEFUL]
    assert len(stateful) == 1 + 1 + 1 + 4
    assert {(r.name, r.protect, r.retain_on_delete) for r in stateful} == {(r.name, protected, protected) for r in stateful}
    # AWS's own guards do not depend on the switch.
    assert one(stack_run(stack), "aws:rds/instance:Instance", "state-mysql").inputs["deletionProtection"] is True


def test_staging_is_small_single_zone(stack_run):
    run = stack_run("staging")
    database = one(run, "aws:rds/instance:Instance", "state-mysql").inputs
    cache = one(run, "aws:elasticache/replicationGroup:ReplicationGroup", "state-cache").inputs
    assert (database["instanceClass"], database["multiAz"], database["backupRetentionPeriod"]) == ("db.t3.small", False, 7)
    assert (cache["nodeType"], cache["numCacheClusters"], cache["automaticFailoverEnabled"]) == ("cache.t3.micro", 1, False)


def _statements(run, fleet: str) -> dict:
    policy = json.loads(one(run, "aws:iam/rolePolicy:RolePolicy", f"{fleet}-role-policy").inputs["policy"])
    return {s["Sid"]: s for s in policy["Statement"] if s["Sid"] in ("ReadDatabasePassword", "ConnectAsAppUser", "UseCeleryQueues", "UseTables")}


def test_per_fleet_store_statements_resource_by_resource(stack_run):
    run = stack_run("prod")
    # No fleet reads the master's secret: services connect as the application user with IAM tokens.
    user = run.outputs["state_endpoints"]["mysql_app_user_arn"]
    assert re.fullmatch(rf"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:db-[0-9A-F]+/showrunner_app", user)
    password = {"Sid": "ConnectAsAppUser", "Effect": "Allow", "Action": "rds-db:connect", "Resource": user}
    queues = {
        "Sid": "UseCeleryQueues",
        "Effect": "Allow",
        "Action": [
            "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage",
        ],
        "Resource": [f"{QUEUE_ARN}celery", f"{QUEUE_ARN}notifications"],
    }
    items = [
        "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
    ]
    tables = {"Sid": "UseTables", "Effect": "Allow", "Action": items, "Resource": [TABLE_ARN]}
    assert _statements(run, "www") == {"ConnectAsAppUser": password, "UseCeleryQueues": queues}
    assert _statements(run, "worker") == {"ConnectAsAppUser": password, "UseCeleryQueues": queues}
    assert _statements(run, "ops") == {"ConnectAsAppUser": password}
    assert _statements(run, "micro") == {"UseTables": tables}


def test_store_security_groups_admit_exactly_the_fleets_that_use_them(stack_run):
    """Each `<fleet>-sg-to-<store>` rule opens the group the store runs in to the group the fleet's
    hosts launch with, on the store's port; nothing else opens a store's group."""
    run = stack_run("prod")
    database = one(run, "aws:rds/instance:Instance", "state-mysql").inputs
    cache = one(run, "aws:elasticache/replicationGroup:ReplicationGroup", "state-cache").inputs
    [mysql_group], [cache_group] = database["vpcSecurityGroupIds"], cache["securityGroupIds"]
    stores = {mysql_group: "mysql", cache_group: "cache"}
    fleets = {t.inputs["vpcSecurityGroupIds"][0]: t.name.removesuffix("-lt") for t in by_type(run, "aws:ec2/launchTemplate:LaunchTemplate")}
    ingress = by_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    into_stores = [r for r in ingress if r.inputs["securityGroupId"] in stores]
    pairs = set()
    for rule in into_stores:
        assert "cidrIpv4" not in rule.inputs and rule.inputs["fromPort"] == rule.inputs["toPort"]
        fleet, store = fleets[rule.inputs["referencedSecurityGroupId"]], stores[rule.inputs["securityGroupId"]]
        assert rule.name == f"{fleet}-sg-to-{store}"
        pairs.add((fleet, store, rule.inputs["fromPort"]))
    assert pairs == {
        ("www", "mysql", 3306),
        ("www", "cache", 6379),
        ("worker", "mysql", 3306),
        ("worker", "cache", 6379),
        ("ops", "mysql", 3306),
    }
    assert len(into_stores) == len(pairs)
    assert sorted(r.name for r in ingress if "-sg-to-" in r.name) == sorted(r.name for r in into_stores)
    # The stores run in their own groups, no fleet's.
    groups = {g.name: g.urn for g in by_type(run, "aws:ec2/securityGroup:SecurityGroup")}
    assert not set(stores) & set(fleets)
    assert groups["state-mysql-sg"] in one(run, "aws:rds/instance:Instance", "state-mysql").dependencies
    assert groups["state-cache-sg"] in one(run, "aws:elasticache/replicationGroup:ReplicationGroup", "state-cache").dependencies


# --- pure builders -----------------------------------------------------------------------------

ENDPOINTS = StateEndpoints(
    region="eu-west-1",
    mysql_host="db.example.internal",
    mysql_identifier="showrunner-qa-mysql",
    mysql_database="showrunner",
    mysql_username="showrunner",
    mysql_secret_arn="arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1-AbCdEf",
    mysql_app_username="showrunner_app",
    mysql_app_user_arn="arn:aws:rds-db:eu-west-1:111122223333:dbuser:db-ABCDEFGHIJKL/showrunner_app",
    cache_host="master.cache.example.internal",
    queues={
        "celery": {"url": "https://sqs.eu-west-1.amazonaws.com/111122223333/q-celery", "arn": "arn:aws:sqs:eu-west-1:111122223333:q-celery"},
        "mail": {"url": "https://sqs.eu-west-1.amazonaws.com/111122223333/q-mail", "arn": "arn:aws:sqs:eu-west-1:111122223333:q-mail"},
    },
    tables={"watch-progress": {"name": "t-watch", "arn": "arn:aws:dynamodb:eu-west-1:111122223333:table/t-watch"}},
)


def test_service_env_for_every_store():
    assert contract.service_env(["mysql", "cache", "queues", "tables"], ENDPOINTS) == {
        "AWS_REGION": "eu-west-1",
        "CACHE_URL": "rediss://master.cache.example.internal:6379/0",
        "CELERY_BROKER_URL": "sqs://",
        "CELERY_DEFAULT_QUEUE": "celery",
        "CELERY_PREDEFINED_QUEUES": '{"celery":{"url":"https://sqs.eu-west-1.amazonaws.com/111122223333/q-celery"},'
        '"mail":{"url":"https://sqs.eu-west-1.amazonaws.com/111122223333/q-mail"}}',
        "DATABASE_HOST": "db.example.internal",
        "DATABASE_NAME": "showrunner",
        "DATABASE_PASSWORD_FILE": "/run/secrets/showrunner/DATABASE_PASSWORD",
        "DATABASE_PORT": "3306",
        "DATABASE_TLS": "required",
        "DATABASE_USER": "showrunner_app",
        "DYNAMODB_TABLE_WATCH_PROGRESS": "t-watch",
    }
    assert contract.service_env(["mysql"], ENDPOINTS) == {
        "DATABASE_HOST": "db.example.internal",
        "DATABASE_NAME": "showrunner",
        "DATABASE_PASSWORD_FILE": "/run/secrets/showrunner/DATABASE_PASSWORD",
        "DATABASE_PORT": "3306",
        "DATABASE_TLS": "required",
        "DATABASE_USER": "showrunner_app",
    }
    assert contract.service_env([], ENDPOINTS) == {}


def test_the_database_credential_is_a_token_source_the_host_mints_from():
    assert contract.service_credential_files(["mysql", "cache"], ENDPOINTS) == {
        "DATABASE_PASSWORD": "rds-iam:db.example.internal:3306:showrunner_app"
    }
    assert contract.service_credential_files(["cache", "queues"], ENDPOINTS) == {}
    assert "DATABASE_PASSWORD" not in contract.service_env(["mysql"], ENDPOINTS)
    assert contract.access_statements(["mysql"], ENDPOINTS) == [
        {"Sid": "ConnectAsAppUser", "Effect": "Allow", "Action": "rds-db:connect", "Resource": ENDPOINTS["mysql_app_user_arn"]}
    ]


def test_access_statements_and_ports_follow_uses_only():
    assert contract.access_statements(["cache"], ENDPOINTS) == []
    assert contract.access_statements(["queues"], ENDPOINTS) == [
        {
            "Sid": "UseCeleryQueues",
            "Effect": "Allow",
            "Action": contract.QUEUE_ACTIONS,
            "Resource": ["arn:aws:sqs:eu-west-1:111122223333:q-celery", "arn:aws:sqs:eu-west-1:111122223333:q-mail"],
        }
    ]
    assert contract.ingress_ports(["mysql", "cache", "queues", "tables"]) == {"mysql": 3306, "cache": 6379}
    assert contract.ingress_ports(["queues", "tables"]) == {}


def test_names_and_documents():
    assert documents.redrive_policy("arn:aws:sqs:us-east-1:1:q-dlq", 5) == '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:q-dlq","maxReceiveCount":5}'
    assert documents.parameter_group_family("8.0.39") == "mysql8.0"
    assert documents.parameter_group_family("8.4") == "mysql8.4"
    assert names.queue_name("prod", "celery", dead_letter=True) == "showrunner-prod-celery-dlq"
    assert names.final_snapshot_identifier("prod", "mysql") == "showrunner-prod-mysql-final"
    assert contract.table_env_name("watch-progress") == "DYNAMODB_TABLE_WATCH_PROGRESS"
    assert documents.table_attributes({"hash_key": "user_id"}) == [{"name": "user_id", "type": "S"}]
    assert documents.table_attributes({"hash_key": "id", "hash_key_type": "N", "range_key": "at", "range_key_type": "N"}) == [
        {"name": "id", "type": "N"}, {"name": "at", "type": "N"},
    ]


def test_uses_of_lists_the_stores_in_the_canonical_order_once():
    assert contract.uses_of([["tables", "mysql"], [], ["mysql", "cache"]]) == ["mysql", "cache", "tables"]


@pytest.mark.parametrize("uses", [["mysql"], ["cache"], ["queues"], ["tables"], ["mysql", "cache", "queues", "tables"]])
def test_a_store_sets_only_the_names_the_contract_reserves(uses):
    """Validation refuses exactly `reserved_env`; the builder may set nothing outside it."""
    reserved, prefixes = contract.reserved_env(uses)
    emitted = {**contract.service_env(uses, ENDPOINTS), **contract.service_credential_files(uses, ENDPOINTS)}
    assert emitted
    assert all(name in reserved or name.startswith(prefixes) for name in emitted)
