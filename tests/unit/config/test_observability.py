"""`showrunner:alerts`, `showrunner:logs` and the load balancer's keep-in-prod settings: each bad value one line with its path."""

from __future__ import annotations

import pytest

from showrunner.config import load_settings
from showrunner.config.models import Thresholds
from showrunner_components.observability import alarms
from tests.unit.config.test_loading import mutate, problems_of, valid


def _prod_problems(values: dict) -> list[str]:
    from showrunner.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_settings(values, project="showrunner", stack="prod")
    return caught.value.problems


def test_the_thresholds_default_to_the_components_own():
    defaults = Thresholds()
    assert (defaults.target_5xx_percent, defaults.p99_response_seconds, defaults.disk_used_percent, defaults.dead_letter_messages) == (
        alarms.TARGET_5XX_PERCENT, alarms.P99_RESPONSE_SECONDS, alarms.DISK_USED_PERCENT, alarms.DEAD_LETTER_MESSAGES)
    # Every threshold, not only those four: each default is the component constant of its name.
    assert {key: getattr(defaults, key) for key in Thresholds.model_fields} == {key: getattr(alarms, key.upper()) for key in Thresholds.model_fields}


def test_every_threshold_reaches_the_component_that_alarms_on_it():
    from showrunner import wiring

    wired = [*wiring.FLEET_THRESHOLDS, *wiring.STATE_THRESHOLDS, "load_balancer_5xx_per_minute"]  # the last: `load_balancer_args`
    assert sorted(wired) == sorted(Thresholds.model_fields)


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("alerts.subscriptions", [{"protocol": "email", "endpoint": "not-an-address"}],
         'showrunner:alerts.subscriptions[0]: "not-an-address" is not an e-mail address like "ops@example.com"'),
        ("alerts.subscriptions", [{"protocol": "https", "endpoint": "http://hooks.example.com/x"}],
         'showrunner:alerts.subscriptions[0]: "http://hooks.example.com/x" is not an https:// URL like "https://events.example.com/hook"'),
        ("alerts.subscriptions", [{"protocol": "sms", "endpoint": "+15555550100"}],
         "showrunner:alerts.subscriptions[0].protocol: \"sms\" is not one of 'email' or 'https'"),
        ("alerts.thresholds", {"target_5xx_percent": 0}, "showrunner:alerts.thresholds.target_5xx_percent: 0 must be greater than 0"),
        ("alerts.thresholds", {"p99": 1}, "showrunner:alerts.thresholds.p99: is not a known key; expected one of: cache_evictions, "
         "cache_memory_percent, clock_offset_seconds, dead_letter_messages, disk_used_percent, load_balancer_5xx_per_minute, mysql_connections_percent, "
         "mysql_cpu_percent, mysql_free_memory_percent, mysql_free_storage_percent, p99_response_seconds, target_5xx_percent, unhealthy_hosts"),
        ("logs", {"retention_days": 45}, "showrunner:logs.retention_days: 45 is not a retention CloudWatch Logs accepts; pick one of "
         "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
        ("load_balancer.access_log_retention_days", 0, "showrunner:load_balancer.access_log_retention_days: 0 must be greater than or equal to 1"),
    ],
)
def test_bad_alert_and_log_settings_are_one_line_with_their_path(path, value, problem):
    assert problem in problems_of(mutate(path, value)(valid()))


def test_production_keeps_its_load_balancer_its_access_logs_and_someone_to_alert():
    config = mutate("load_balancer.deletion_protection", False)(mutate("load_balancer.access_logs", False)(mutate("alerts.subscriptions", [])(valid())))
    # Production by declaration, whatever the stack is called.
    assert _prod_problems({**config, "production": True}) == [
        'showrunner:load_balancer.deletion_protection: stack "prod" declares showrunner:production: true, so it keeps its load '
        "balancer's deletion protection; remove deletion_protection: false",
        'showrunner:load_balancer.access_logs: stack "prod" declares showrunner:production: true, so it keeps its access logs '
        "(who asked what, when an incident is investigated); remove access_logs: false",
        'showrunner:alerts.subscriptions: stack "prod" declares showrunner:production: true, and its alarms would reach no one; '
        "add at least one {protocol: email, endpoint: …} or {protocol: https, endpoint: …}",
    ]
    not_production = load_settings(config, project="showrunner", stack="prod")
    assert (not_production.load_balancer.deletion_protection, not_production.load_balancer.access_logs, not_production.alerts.subscriptions) == (False, False, [])


def test_the_app_user_is_never_the_master():
    config = mutate("state", {"mysql": {"username": "showrunner", "app_username": "showrunner"}})(valid())
    assert problems_of(config) == ["showrunner:state.mysql: app_username must differ from username: services never connect as the master user"]
