"""`showrunner:state` and services' `uses`: each bad value with the exact line a user sees."""

from __future__ import annotations

import copy

import pytest

from showrunner.config import ConfigError, load_settings
from showrunner.config.models import State
from tests.unit.config.test_loading import DELETE, mutate, valid


def with_state() -> dict:
    config = valid()
    config["state"] = {
        "mysql": {},
        "cache": {},
        "tables": {"watch-progress": {"hash_key": "user_id", "range_key": "episode_id", "ttl_attribute": "expires_at"}},
        "queues": {"names": ["celery", "notifications"], "longest_task_seconds": 600, "visibility_timeout_seconds": 900},
    }
    config["services"]["django"]["uses"] = ["mysql", "cache", "queues"]
    config["services"]["catalog"]["uses"] = ["tables"]
    return config


def problems_of(values: dict, stack: str = "qa") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(values, project="showrunner", stack=stack)
    return caught.value.problems


def without_store(store: str):
    def apply(config: dict) -> dict:
        config = copy.deepcopy(config)
        del config["state"][store]
        return config

    return apply


CASES = [
    ("service uses an undefined store", without_store("mysql"),
     'showrunner:services.django.uses[0]: store "mysql" is not defined in showrunner:state (defined: cache, queues, tables)'),
    ("visibility timeout below the longest task", mutate("state.queues.visibility_timeout_seconds", 300),
     "showrunner:state.queues.visibility_timeout_seconds: 300 must be above longest_task_seconds (600); "
     "Celery redelivers a task that outlives its visibility timeout"),
    ("visibility timeout equal to the longest task", mutate("state.queues.visibility_timeout_seconds", 600),
     "showrunner:state.queues.visibility_timeout_seconds: 600 must be above longest_task_seconds (600); "
     "Celery redelivers a task that outlives its visibility timeout"),
    ("unknown store", mutate("services.django.uses", ["mysql", "postgres"]),
     "showrunner:services.django.uses[1]: \"postgres\" is not one of 'mysql', 'cache', 'queues' or 'tables'"),
    ("store listed twice", mutate("services.django.uses", ["mysql", "mysql"]),
     "showrunner:services.django: lists a store twice: mysql, mysql"),
    ("env repeats an injected name", mutate("services.django.env", {"DATABASE_HOST": "db.example"}),
     "showrunner:services.django.env.DATABASE_HOST: DATABASE_HOST is set by `uses: [mysql]`; remove it from `env`"),
    ("secret repeats the managed password", lambda c: mutate("secrets.django.DATABASE_PASSWORD", "[secret]")(
        mutate("services.django.secrets", ["SECRET_KEY", "DATABASE_PASSWORD"])(c)),
     "showrunner:services.django.secrets[1]: DATABASE_PASSWORD is set by `uses: [mysql]`; remove it from `secrets`"),
    # The store contract (showrunner_components.state.contract.STORE_ENV): queues set AWS_REGION too.
    ("env repeats the region queues set", mutate("services.django.env", {"AWS_REGION": "eu-west-1"}),
     "showrunner:services.django.env.AWS_REGION: AWS_REGION is set by `uses: [queues]`; remove it from `env`"),
    ("env takes a table variable", mutate("services.catalog.env", {"DYNAMODB_TABLE_EXTRA": "x"}),
     "showrunner:services.catalog.env.DYNAMODB_TABLE_EXTRA: DYNAMODB_TABLE_* is set by `uses: [tables]`; remove it from `env`"),
    ("backup retention under 7 days", mutate("state.mysql.backup_retention_days", 3),
     "showrunner:state.mysql.backup_retention_days: 3 must be greater than or equal to 7"),
    ("backup retention over 35 days", mutate("state.mysql.backup_retention_days", 36),
     "showrunner:state.mysql.backup_retention_days: 36 must be less than or equal to 35"),
    ("failover without a replica", mutate("state.cache", {"automatic_failover": True}),
     "showrunner:state.cache: automatic_failover needs a replica: set num_cache_clusters to 2 or more"),
    ("multi-AZ cache without failover", mutate("state.cache", {"multi_az": True, "num_cache_clusters": 2}),
     "showrunner:state.cache: multi_az needs automatic_failover: true"),
    ("queue without a name", mutate("state.queues.names", []),
     "showrunner:state.queues.names: must list at least 1 item, not 0"),
    ("dead-letter count zero", mutate("state.queues.max_receive_count", 0),
     "showrunner:state.queues.max_receive_count: 0 must be greater than or equal to 1"),
    ("table without a hash key", mutate("state.tables.watch-progress", {"ttl_attribute": "expires_at"}),
     "showrunner:state.tables.watch-progress.hash_key: is required"),
    ("unknown state key", mutate("state.redis", {}),
     "showrunner:state.redis: is not a known key; expected one of: cache, mysql, protect, queues, tables"),
    ("misspelt state key", mutate("state.mysql", {"instance_clas": "db.t3.small"}),
     'showrunner:state.mysql.instance_clas: is not a known key; did you mean "instance_class"?'),
    ("storage ceiling below the size", mutate("state.mysql", {"allocated_storage_gb": 100, "max_allocated_storage_gb": 50}),
     "showrunner:state.mysql: max_allocated_storage_gb (50) must be above allocated_storage_gb (100), or leave it out"),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_bad_state_value_is_refused_with_its_one_line(change, expected):
    assert problems_of(change(with_state())) == [expected]


def test_every_use_of_a_missing_state_section_is_reported():
    assert problems_of(mutate("state", DELETE)(with_state())) == [
        f'showrunner:services.{service}.uses[{index}]: store "{store}" is not defined in showrunner:state (defined: none)'
        for service, index, store in [("django", 0, "mysql"), ("django", 1, "cache"), ("django", 2, "queues"), ("catalog", 0, "tables")]
    ]


def test_production_may_not_turn_protection_off_but_staging_may():
    config = mutate("state.protect", False)(with_state())
    assert problems_of(mutate("production", True)(config), stack="prd") == [
        'showrunner:state.protect: stack "prd" declares showrunner:production: true, so its data stays protected; '
        "remove protect: false (or declare showrunner:production: false if this stack is not production)"
    ]
    assert load_settings(config, project="showrunner", stack="staging").state.protect is False


def test_an_unprotected_production_stack_is_reported_with_every_other_problem():
    config = mutate("production", True)(mutate("state.protect", False)(mutate("state.redis", {})(with_state())))
    assert problems_of(config, stack="prod") == [
        "showrunner:state.redis: is not a known key; expected one of: cache, mysql, protect, queues, tables",
        'showrunner:state.protect: stack "prod" declares showrunner:production: true, so its data stays protected; '
        "remove protect: false (or declare showrunner:production: false if this stack is not production)",
    ]


def test_defaults_are_the_safe_ones():
    settings = load_settings(with_state(), project="showrunner", stack="qa")
    state = settings.state
    assert state.protect is True
    assert state.defined() == ["mysql", "cache", "queues", "tables"]
    assert (state.mysql.multi_az, state.mysql.backup_retention_days, state.mysql.engine_version) == (False, 7, "8.0")
    assert (state.cache.engine, state.cache.num_cache_clusters, state.cache.automatic_failover) == ("valkey", 1, False)
    assert state.queues.max_receive_count == 5
    assert settings.services["django"].uses == ["mysql", "cache", "queues"]
    assert settings.services["celery"].uses == []


def test_no_state_section_defines_no_store():
    assert load_settings(valid(), project="showrunner", stack="qa").state == State()


def test_the_stack_files_pass_and_prod_is_multi_az_with_failover(project_dir):
    from showrunner.engine import load_stack

    prod = load_stack(project_dir, "prod")[3].state
    staging = load_stack(project_dir, "staging")[3].state
    assert prod.protect and prod.mysql.multi_az and prod.cache.automatic_failover and prod.cache.multi_az
    assert prod.queues.visibility_timeout_seconds > prod.queues.longest_task_seconds
    assert not staging.protect and not staging.mysql.multi_az and staging.cache.num_cache_clusters == 1


@pytest.mark.parametrize(
    "command",
    ["celery -A www worker -Q celery,video", "celery -A www worker --queues video", "celery -A www worker --queues=celery,video", "celery -A www worker -Qvideo"],
)
def test_a_worker_may_only_consume_configured_queues(command):
    config = with_state()
    config["services"]["celery"]["uses"] = ["queues"]
    config["services"]["celery"]["command"] = command
    assert problems_of(config) == [
        "showrunner:services.celery.command: consumes queue video, which showrunner:state.queues.names does not define "
        "(celery, notifications); Celery would wait on a queue no one creates"
    ]


def test_a_worker_on_configured_queues_passes():
    config = with_state()
    config["services"]["celery"]["uses"] = ["queues"]
    config["services"]["celery"]["command"] = "celery -A www worker --queues=celery,notifications"
    load_settings(config, project="showrunner", stack="qa")
