"""Alarms: in production, a routed fleet's instance refresh is gated by alarms that exist and notify someone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from .model import Resource, as_list, describe, is_unknown

GROUP = "aws:autoscaling/group:Group"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _gate(group: Resource) -> list | None:
    """The alarm names a group's instance refresh names; None when they are not known yet."""
    refresh = group.props.get("instanceRefresh")
    preferences = refresh.get("preferences") if isinstance(refresh, Mapping) else None
    specification = preferences.get("alarmSpecification") if isinstance(preferences, Mapping) else None
    alarms = specification.get("alarms") if isinstance(specification, Mapping) else None
    if is_unknown(alarms) or any(is_unknown(name) for name in as_list(alarms)):
        return None
    return [name for name in as_list(alarms) if isinstance(name, str)]


def check_routed_fleets_alarmed(resources: Sequence[Resource]) -> Iterator[tuple[str, str]]:
    """Stack rule: every production Auto Scaling group behind a load balancer rolls out behind alarms.

    A stack is production when any of its resources carries `Production: true` (a group's tags are a
    list, which `Resource.production` does not read).

    Its instance refresh must name alarms (`preferences.alarmSpecification.alarms`), each one an
    alarm of this stack that notifies someone (`alarmActions`): otherwise a bad rollout replaces
    every host before anyone knows.
    """
    if not any(resource.production for resource in resources):
        return  # production by declaration: some resource of the stack carries `Production: true`
    alarms = {r.props.get("name"): r for r in resources if r.type == ALARM and isinstance(r.props.get("name"), str)}
    for group in resources:
        if group.type != GROUP:
            continue
        target_groups = group.props.get("targetGroupArns")
        if is_unknown(target_groups) or not as_list(target_groups):
            continue
        gate = _gate(group)
        if gate is None:
            continue
        if not gate:
            yield group.urn, (
                f"{group.label}: serves a load balancer in stack {group.stack} but its instance refresh names no alarms, so a bad "
                "rollout replaces every host unchecked; set instanceRefresh.preferences.alarmSpecification.alarms to its "
                "services' alarms (5xx rate, unhealthy hosts, p99), as the Fleet component does"
            )
            continue
        missing = [name for name in gate if name not in alarms]
        if missing:
            yield group.urn, (
                f"{group.label}: its instance refresh names {describe(missing)}, which no alarm of this stack is called; "
                "create them (aws.cloudwatch.MetricAlarm with that name) or name the alarms that exist"
            )
        silent = [name for name in gate if name in alarms and not as_list(alarms[name].props.get("alarmActions"))]
        if silent:
            yield group.urn, (
                f"{group.label}: its gating alarms {describe(silent)} notify no one; give them alarmActions "
                "(the stack's alert topic) so a rolled-back rollout reaches someone"
            )
