"""Each cross-entry rule on its own: the lines it returns for a stack that breaks it, none for one that keeps it."""

from __future__ import annotations

import pytest

from showrunner.config import checks
from showrunner.config.checks import (
    CHECKS,
    ServiceClaims,
    ensure_cron_services_on_single_host_fleets,
    ensure_every_fleet_runs_a_service,
    ensure_host_ports_unique_per_fleet,
    ensure_production_protected,
    ensure_route_priorities_unique,
    ensure_routed_services_have_a_port,
    ensure_secrets_set_and_listed,
    ensure_services_run_on_defined_fleets,
    ensure_store_env_not_repeated,
    ensure_stores_defined,
    ensure_visibility_timeout_above_longest_task,
    ensure_workers_consume_configured_queues,
)
from showrunner.config.loading import parse
from tests.unit.config.test_loading import mutate, valid
from tests.unit.config.test_state import with_state


def view(values: dict, stack: str = "qa"):
    return parse(values, stack)[0]


def test_every_ensure_function_is_run_by_the_loader():
    from showrunner.config import accounts, images

    defined = {f for module in (checks, images, accounts) for name, f in vars(module).items() if name.startswith("ensure_")}
    assert set(CHECKS) == defined and len(CHECKS) == len(defined)


@pytest.mark.parametrize("ensure", CHECKS, ids=lambda f: f.__name__)
def test_a_valid_stack_keeps_every_rule(ensure):
    assert ensure(view(with_state())) == []


def test_services_run_on_defined_fleets():
    config = view(mutate("services.celery.fleet", "workers")(valid()))
    assert ensure_services_run_on_defined_fleets(config) == [
        'showrunner:services.celery.fleet: fleet "workers" is not defined in showrunner:fleets (defined: micro, ops, www)'
    ]


def test_a_broken_fleet_entry_still_counts_as_defined():
    config = view(mutate("fleets.www.min_size", "one")(valid()))
    assert "www" not in config.fleets
    assert ensure_services_run_on_defined_fleets(config) == []


def test_no_fleet_check_when_the_fleets_section_is_malformed():
    assert ensure_services_run_on_defined_fleets(view(mutate("fleets", ["www"])(valid()))) == []


def test_host_ports_unique_per_fleet():
    config = view(mutate("services.celery.ports", ["9000:9000", "8000:9001"])(valid()))
    assert ensure_host_ports_unique_per_fleet(config) == [
        'showrunner:services.celery.ports[1]: host port 8000 on fleet "www" is already bound by service "django"'
    ]


def test_the_same_host_port_on_two_fleets_is_fine():
    assert ensure_host_ports_unique_per_fleet(view(mutate("services.catalog.ports", ["8000:8080"])(valid()))) == []


def test_route_priorities_unique():
    config = view(mutate("services.catalog.route", {"paths": ["/api/*"], "priority": 100})(valid()))
    assert ensure_route_priorities_unique(config) == [
        'showrunner:services.catalog.route.priority: priority 100 is already used by service "django"; listener rule priorities must be unique'
    ]


def test_cron_services_on_single_host_fleets():
    config = view(mutate("services.nightly.fleet", "micro")(valid()))
    assert ensure_cron_services_on_single_host_fleets(config) == [
        'showrunner:services.nightly.fleet: cron service runs on every host of fleet "micro" (max_size 4); run it on a fleet with max_size 1'
    ]


def test_routed_services_have_a_port():
    config = view(mutate("services.catalog.ports", [])(valid()))
    assert ensure_routed_services_have_a_port(config) == [
        "showrunner:services.catalog.ports: a routed web service needs a port for its target group"
    ]


def test_secrets_set_and_listed():
    config = mutate("secrets", {"django": {"OTHER": "[secret]"}})(valid())
    assert ensure_secrets_set_and_listed(view(config)) == [
        "showrunner:services.django.secrets[0]: secret SECRET_KEY is not set in stack \"qa\"; "
        "run: pulumi config set --secret --path 'showrunner:secrets.django.SECRET_KEY' <value>",
        "showrunner:secrets.django.OTHER: is set but no service lists it in `secrets`; remove it (showrunner:secrets: {django: null} drops them all) or add it to showrunner:services.django.secrets",
    ]


def test_a_secret_set_for_no_service_at_all_is_reported():
    config = mutate("secrets.ghost", {"TOKEN": "[secret]"})(valid())
    assert ensure_secrets_set_and_listed(view(config)) == [
        "showrunner:secrets.ghost.TOKEN: is set but no service lists it in `secrets`; remove it (showrunner:secrets: {ghost: null} drops them all) or add it to showrunner:services.ghost.secrets"
    ]


def test_every_fleet_runs_a_service():
    config = view(mutate("fleets.spare", {"instance_types": ["t3.small"], "min_size": 0, "max_size": 1})(valid()))
    assert ensure_every_fleet_runs_a_service(config) == [
        "showrunner:fleets.spare: no service runs on this fleet; remove it (showrunner:fleets: {spare: null}) or assign a service"
    ]


def test_a_broken_service_still_keeps_its_fleet_in_use():
    config = view(mutate("services.nightly.schedule", "whenever")(valid()))
    assert "nightly" not in config.services
    assert ensure_every_fleet_runs_a_service(config) == []


def test_visibility_timeout_above_longest_task():
    config = view(mutate("state.queues.visibility_timeout_seconds", 600)(with_state()))
    assert ensure_visibility_timeout_above_longest_task(config) == [
        "showrunner:state.queues.visibility_timeout_seconds: 600 must be above longest_task_seconds (600); "
        "Celery redelivers a task that outlives its visibility timeout"
    ]


@pytest.mark.parametrize("stack", ["prod", "prod-eu", "prd", "staging"])
def test_a_stack_declared_production_stays_protected_whatever_its_name(stack):
    config = view(mutate("production", True)(mutate("state.protect", False)(with_state())), stack=stack)
    assert ensure_production_protected(config) == [
        f'showrunner:state.protect: stack "{stack}" declares showrunner:production: true, so its data stays protected; '
        "remove protect: false (or declare showrunner:production: false if this stack is not production)"
    ]


@pytest.mark.parametrize("stack", ["prod", "production"])
def test_the_name_alone_does_not_make_a_stack_production(stack):
    assert ensure_production_protected(view(mutate("state.protect", False)(with_state()), stack=stack)) == []


def test_stores_defined():
    config = view(mutate("state.cache", None)(with_state()))
    assert ensure_stores_defined(config) == [
        'showrunner:services.django.uses[1]: store "cache" is not defined in showrunner:state (defined: mysql, queues, tables)'
    ]


def test_no_store_check_when_the_state_section_is_malformed():
    assert ensure_stores_defined(view(mutate("state.mysql.engine", "postgres")(with_state()))) == []


def test_store_env_not_repeated():
    config = mutate("services.django.env", {"CACHE_URL": "redis://x", "DATABASE_PORT": "1"})(with_state())
    assert ensure_store_env_not_repeated(view(config)) == [
        "showrunner:services.django.env.CACHE_URL: CACHE_URL is set by `uses: [cache]`; remove it from `env`",
        "showrunner:services.django.env.DATABASE_PORT: DATABASE_PORT is set by `uses: [mysql]`; remove it from `env`",
    ]


def test_the_store_env_rule_holds_even_when_the_state_section_is_malformed():
    config = mutate("services.django.env", {"CACHE_URL": "redis://x"})(mutate("state.mysql.engine", "postgres")(with_state()))
    assert ensure_store_env_not_repeated(view(config)) == [
        "showrunner:services.django.env.CACHE_URL: CACHE_URL is set by `uses: [cache]`; remove it from `env`"
    ]


def test_workers_consume_configured_queues():
    config = mutate("services.celery.command", "celery -A www worker -Q celery,video")(mutate("services.celery.uses", ["queues"])(with_state()))
    assert ensure_workers_consume_configured_queues(view(config)) == [
        "showrunner:services.celery.command: consumes queue video, which showrunner:state.queues.names does not define "
        "(celery, notifications); Celery would wait on a queue no one creates"
    ]


def test_claims_are_read_field_by_field_with_the_models_types():
    claims = ServiceClaims.read(
        {"fleet": "www", "ports": ["80:abc", "8000:8000", 8080], "route": {"priority": 7}, "secrets": ["1BAD", "TOKEN"], "type": "daemon"}
    )
    assert claims == ServiceClaims(fleet="www", host_ports=((1, 8000),), priority=7, secrets=((1, "TOKEN"),))
    assert ServiceClaims.read({"fleet": "Www", "route": {"priority": 0}}) == ServiceClaims(fleet=None, host_ports=(), priority=None, secrets=())
    assert ServiceClaims.read({"route": {"priority": True}}).priority is None
    assert ServiceClaims.read("not a map") == ServiceClaims(fleet=None, host_ports=(), priority=None, secrets=())
    assert ServiceClaims.read({"image": "search"}).image == "search"
    assert ServiceClaims.read({"image": "Search"}).image is None  # not an image reference: the schema says so
