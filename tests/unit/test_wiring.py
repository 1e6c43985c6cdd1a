"""A stack's settings → each runtime component's Args (showrunner.wiring), compared exactly.

The other components' outputs are plain stand-ins (tests/unit/stand_ins.py), so the Args come back
as plain values: what the program's `uses`, `route` and `image` become in the components' words.
"""

from __future__ import annotations

import pytest

from showrunner import wiring
from showrunner.config import load_settings
from showrunner.engine import load_stack
from showrunner_components.state import contract
from tests.conftest import PROJECT_DIR
from tests.unit import stand_ins
from tests.unit.components.test_state import ENDPOINTS


@pytest.fixture(scope="module")
def prod():
    return load_stack(PROJECT_DIR, "prod")[3]


def _fleet(settings, fleet: str) -> dict:
    return wiring.fleet_args(settings, fleet, **stand_ins.components(ENDPOINTS), tags={"Project": "showrunner"})


def test_containers_that_call_aws_get_hop_limit_2_and_the_others_the_default(prod):
    hop_limits = {fleet: _fleet(prod, fleet).get("http_put_response_hop_limit") for fleet in sorted(prod.fleets)}
    # ops (MySQL only) reaches its store over the VPC: it leaves the field out, the component's 1.
    assert hop_limits == {"micro": 2, "ops": None, "worker": 2, "www": 2}


def test_a_fleet_gets_the_statements_and_security_groups_of_its_own_services_stores(prod):
    www = _fleet(prod, "www")  # django: mysql, cache, queues
    assert www["additional_role_statements"] == contract.access_statements(["mysql", "cache", "queues"], ENDPOINTS)
    assert [s["Sid"] for s in www["additional_role_statements"]] == ["ConnectAsAppUser", "UseCeleryQueues"]
    assert www["peer_security_groups"] == [
        {"name": "mysql", "security_group_id": "sg-mysql", "port": 3306},
        {"name": "cache", "security_group_id": "sg-cache", "port": 6379},
    ]
    micro = _fleet(prod, "micro")  # catalog: tables
    assert [s["Sid"] for s in micro["additional_role_statements"]] == ["UseTables"]
    assert micro["additional_role_statements"][0]["Resource"] == [ENDPOINTS["tables"]["watch-progress"]["arn"]]
    assert micro["peer_security_groups"] == []


def test_a_routed_service_gets_its_own_target_group_and_the_others_none(prod):
    [django] = _fleet(prod, "www")["services"]
    assert (django["target_group_arn"], django["target_group_arn_suffix"]) == ("arn:tg/web-django", "targetgroup/web-django/01")
    [celery] = _fleet(prod, "worker")["services"]
    assert "target_group_arn" not in celery and "target_group_arn_suffix" not in celery


def test_a_service_is_its_env_over_its_stores_env_with_its_token_source(prod):
    [celery] = _fleet(prod, "worker")["services"]
    assert celery == {
        "name": "celery",
        "type": "worker",
        "image": f"ecr.example/showrunner/www@{stand_ins.DIGEST}",
        "command": "celery -A www worker --loglevel=INFO --concurrency=8 --queues=celery,notifications",
        "environment": {
            **contract.service_env(["mysql", "cache", "queues"], ENDPOINTS),
            "DJANGO_ENVIRON": "PROD",
            "DJANGO_SETTINGS_MODULE": "www.settings",
        },
        "ports": [],
        "volumes": ["/var/log/containers:/var/log"],
        "remove_on_exit": False,
        "memory_mb": 512,
        "secret_names": ["SECRET_KEY"],
        "credential_files": {"DATABASE_PASSWORD": "rds-iam:db.example.internal:3306:showrunner_app"},
    }
    [clearsessions] = _fleet(prod, "ops")["services"]
    assert (clearsessions["schedule"], clearsessions["remove_on_exit"]) == ("15 3 * * *", True)


def test_fleet_sizes_scaling_and_schedules_in_the_components_words(prod):
    www = _fleet(prod, "www")
    assert {k: www[k] for k in ("instance_types", "min_size", "max_size", "cpu_target_percent", "requests_per_target", "deregistration_delay")} == {
        "instance_types": ["c7i.xlarge", "c6i.xlarge"],
        "min_size": 3,
        "max_size": 60,
        "cpu_target_percent": 60,
        "requests_per_target": 18000,
        "deregistration_delay": 60,
    }
    assert "desired_capacity" not in www and "spot" not in www
    assert www["scheduled_actions"][1] == {
        "name": "weekend-peak", "recurrence": "0 17 * * 5", "min_size": 20, "max_size": 60, "time_zone": "America/New_York",
    }
    assert www["repository_arns"] == [stand_ins.repository_arn("www")]
    # The alarms notify the stack's topic with prod's thresholds; the logs keep 90 days under the alerts key.
    assert www["alarm_actions"] == [stand_ins.TOPIC_ARN]
    assert www["alarms"] == {"target_5xx_percent": 2, "unhealthy_hosts": 0, "p99_response_seconds": 1.5, "disk_used_percent": 80, "clock_offset_seconds": 1}
    assert (www["log_retention_days"], www["log_kms_key_arn"]) == (90, stand_ins.ALERTS_KEY_ARN)
    assert _fleet(prod, "worker")["spot"] == {"on_demand_base_capacity": 2, "on_demand_percentage_above_base_capacity": 0}


def _stand_in(name: str):
    return stand_ins.components(ENDPOINTS)[name]


def test_routes_come_from_services_with_a_route(prod):
    args = wiring.load_balancer_args(prod, _stand_in("network"), _stand_in("alerts"), {})
    # The site's target group checks readiness (its stores); the catalog's its liveness.
    assert args["routes"] == [
        {"name": "catalog", "port": 8080, "priority": 10, "path_patterns": ["/api/catalog/*"], "host_headers": [], "health_check_path": "/healthz"},
        {"name": "django", "port": 8000, "priority": 1000, "path_patterns": ["/*"], "host_headers": [], "health_check_path": "/readyz"},
    ]
    assert (args["subnet_ids"], args["deregistration_delay"], args["idle_timeout"]) == (["subnet-p1", "subnet-p2"], 60, 60)
    assert (args["deletion_protection"], args["access_logs_bucket_prefix"], args["access_logs_days"]) == (True, "showrunner-prod-alb-logs", 90)
    assert (args["stack"], args["alarm_actions"], args["alarms"]) == ("prod", [stand_ins.TOPIC_ARN], {"elb_5xx_per_minute": 10})
    staging = load_stack(PROJECT_DIR, "staging")[3]
    staging_args = wiring.load_balancer_args(staging, _stand_in("network"), _stand_in("alerts"), {})
    assert staging_args["deletion_protection"] is False and "access_logs_bucket_prefix" not in staging_args


def test_stores_in_rds_and_elasticache_words(prod):
    args = wiring.state_args(prod, _stand_in("network"), _stand_in("alerts"), {})
    assert args["mysql"] == {
        "engine_version": "8.0",
        "instance_class": "db.r6i.xlarge",
        "allocated_storage": 200,
        "max_allocated_storage": 1000,
        "multi_az": True,
        "backup_retention_period": 14,
        "backup_window": "07:00-07:30",
        "maintenance_window": "sun:08:00-sun:08:30",
        "db_name": "showrunner",
        "username": "showrunner",
        "app_username": "showrunner_app",
    }
    assert args["alarm_actions"] == [stand_ins.TOPIC_ARN]
    assert args["alarms"] == {
        "mysql_cpu_percent": 80, "mysql_free_storage_percent": 10, "mysql_free_memory_percent": 10, "mysql_connections_percent": 80,
        "cache_memory_percent": 80, "cache_evictions": 100, "dead_letter_messages": 0,
    }
    assert args["tables"] == {"watch-progress": {
        "hash_key": "user_id", "hash_key_type": "S", "range_key": "episode_id", "range_key_type": "S", "ttl_attribute": "expires_at",
    }}
    assert args["queues"]["names"] == ["celery", "notifications"]
    assert (args["subnet_ids"], args["protect"]) == (["subnet-q1", "subnet-q2"], True)


def test_a_store_left_out_is_left_out_of_the_args():
    settings = load_settings(_minimal(state={"cache": {}}), project="showrunner", stack="qa")
    args = wiring.state_args(settings, _stand_in("network"), _stand_in("alerts"), {})
    assert "cache" in args and not {"mysql", "tables", "queues"} & set(args)


def test_an_existing_vpc_is_passed_as_ids_and_a_new_one_as_its_shape():
    existing = {"vpc_id": "vpc-0123456789abcdef0", "public_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                "private_subnet_ids": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]}
    settings = load_settings(_minimal(network=existing), project="showrunner", stack="qa")
    assert wiring.network_args(settings, {}) == {**existing, "tags": {}}
    settings = load_settings(_minimal(), project="showrunner", stack="qa")
    assert wiring.network_args(settings, {}) == {"cidr_block": "10.20.0.0/16", "availability_zone_count": 2, "nat_gateways": "single", "tags": {}}


def test_alerts_reach_the_stack_files_subscribers_and_the_key_covers_its_log_groups(prod):
    assert wiring.alerts_args(prod, {}) == {
        "stack": "prod",
        "subscriptions": [
            {"protocol": "email", "endpoint": "oncall@showrunner.example"},
            {"protocol": "https", "endpoint": "https://alerts.showrunner.example/sns/prod"},
        ],
        "log_group_prefix": "/showrunner/prod/",
        "tags": {},
    }


def _minimal(**overrides) -> dict:
    values = {
        "services": {"job": {"type": "worker", "image": "www", "command": "true", "fleet": "ops"}},
        "fleets": {"ops": {"instance_types": ["t3.small"], "min_size": 1, "max_size": 1}},
        "images": {"www": {}},
        "load_balancer": {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/qa"},
        "secrets": {},
    }
    return {**values, **overrides}
