"""Every rendered input that reaches an AWS API, checked against botocore's service model (enums,
lengths, ranges, patterns, list sizes), and the cross-field rules the API reference states in prose.

pulumi-aws names inputs after the API's members (camelCase of them); `api.rename` in
resource-types.json maps the names that differ, `api.skip` those that are not the create call's
members (they go to other calls, or pulumi-aws reshapes them). A value of another JSON type than
the member's is left alone: that is pulumi-aws's reshaping, not a value AWS would see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.aws import reference
from tests.aws.stacks import Resource, Stack

_UNKNOWN = ("[unknown]", "[secret]")


def _members(shape: dict) -> dict[str, str]:
    return {name.lower(): name for name in shape.get("members", {})}


def _java_pattern(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern.replace("\\p{Alnum}", "A-Za-z0-9").replace("\\p{L}", "A-Za-z"))
    except re.error:
        return None


def check_value(value: Any, shape_name: str, shapes: dict, where: str) -> Iterator[str]:
    shape = shapes[shape_name]
    kind = shape.get("type")
    if isinstance(value, str) and value in _UNKNOWN:
        return
    if kind == "string" and isinstance(value, str):
        if "enum" in shape and value not in shape["enum"]:
            yield f"{where} is {value!r}, not one of {', '.join(shape['enum'][:12])}{'…' if len(shape['enum']) > 12 else ''} ({shape_name})"
        if "min" in shape and len(value) < shape["min"]:
            yield f"{where} is {len(value)} characters, under {shape['min']} ({shape_name})"
        if "max" in shape and len(value) > shape["max"]:
            yield f"{where} is {len(value)} characters, over {shape['max']} ({shape_name})"
        pattern = _java_pattern(shape["pattern"]) if "pattern" in shape else None
        if pattern is not None and not pattern.fullmatch(value) and not pattern.search(value):
            yield f"{where} {value!r} does not match {shape['pattern']} ({shape_name})"
    elif kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        if "min" in shape and value < shape["min"]:
            yield f"{where} is {value}, under {shape['min']} ({shape_name})"
        if "max" in shape and value > shape["max"]:
            yield f"{where} is {value}, over {shape['max']} ({shape_name})"
    elif kind == "list" and isinstance(value, list):
        if "min" in shape and len(value) < shape["min"]:
            yield f"{where} has {len(value)} items, under {shape['min']} ({shape_name})"
        if "max" in shape and len(value) > shape["max"]:
            yield f"{where} has {len(value)} items, over {shape['max']} ({shape_name})"
        for index, item in enumerate(value):
            yield from check_value(item, shape["member"]["shape"], shapes, f"{where}[{index}]")
    elif kind == "structure" and isinstance(value, dict):
        members = _members(shape)
        for key, item in value.items():
            member = members.get(key.lower().replace("_", ""))
            if member is not None:
                yield from check_value(item, shape["members"][member]["shape"], shapes, f"{where}.{key}")


def api_problems(resource: Resource) -> list[str]:
    api = resource.spec.get("api") or {}
    operation = api.get("create")
    if not operation:
        return []
    loaded = reference.operation_input(operation)
    if loaded is None:
        return [f"{resource.label}: {operation} is not an operation of botocore's model; fix api.create in resource-types.json"]
    shape, shapes = loaded
    members = _members(shape)
    rename = {k: v for k, v in api.get("rename", {}).items()}
    skip = set(api.get("skip", []))
    nested = api.get("data")
    problems = []
    for key, value in resource.inputs.items():
        if key in skip:
            continue
        member = rename.get(key) or members.get(key.lower())
        target = shape
        if member is None and nested:
            target = shapes[shape["members"][nested]["shape"]]
            member = _members(target).get(key.lower())
        if member is None or member not in target.get("members", {}):
            continue
        for problem in check_value(value, target["members"][member]["shape"], shapes, f"{key}"):
            problems.append(f"{resource.label}: {problem}, which {operation} refuses")
    return problems


# --- what the API reference says in prose ------------------------------------------------------------


def _doc(operation: str, member: str) -> str:
    shape, _ = reference.operation_input(operation)
    return re.sub(r"<[^>]+>", "", shape["members"][member].get("documentation", ""))


def cross_field_problems(stack: Stack) -> list[str]:
    problems = []
    for resource in stack.of_type("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"):
        # Source: botocore's imagebuilder model, CreateInfrastructureConfigurationRequest.subnetId:
        # "If you specify subnetId, you must also specify one or more security group IDs in securityGroupIds. Otherwise, the request fails."
        assert "must also specify one or more security group IDs" in _doc("imagebuilder:CreateInfrastructureConfiguration", "subnetId")
        if resource.inputs.get("subnetId") and not resource.inputs.get("securityGroupIds"):
            problems.append(
                f"{resource.label}: sets subnetId without securityGroupIds; CreateInfrastructureConfiguration refuses "
                "that (\"If you specify subnetId, you must also specify one or more security group IDs\"): give the build "
                "instance a security group in that subnet's VPC"
            )
    for group in stack.of_type("aws:autoscaling/group:Group"):
        # Source: Amazon EC2 Auto Scaling User Guide, "Health checks for instances in an Auto Scaling
        # group": the Elastic Load Balancing health check type applies through the group's attached
        # load balancers or target groups; with none, only EC2 status checks run.
        if group.inputs.get("healthCheckType") == "ELB" and not (group.inputs.get("targetGroupArns") or group.inputs.get("loadBalancers") or group.inputs.get("trafficSources")):
            problems.append(
                f"{group.label}: healthCheckType is ELB but the group has no target group or load balancer, so only EC2 "
                "status checks apply; use healthCheckType EC2 for a group no load balancer serves"
            )
    for cache in stack.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        # Source: ElastiCache API reference, CreateReplicationGroup: TransitEncryptionMode needs
        # TransitEncryptionEnabled; AutomaticFailoverEnabled needs more than one node; MultiAZEnabled
        # needs AutomaticFailoverEnabled.
        inputs = cache.inputs
        if inputs.get("transitEncryptionMode") and inputs.get("transitEncryptionEnabled") is not True:
            problems.append(f"{cache.label}: transitEncryptionMode without transitEncryptionEnabled; CreateReplicationGroup refuses it")
        if inputs.get("automaticFailoverEnabled") and (inputs.get("numCacheClusters") or 1) < 2:
            problems.append(f"{cache.label}: automaticFailoverEnabled with fewer than two nodes; CreateReplicationGroup refuses it")
        if inputs.get("multiAzEnabled") and not inputs.get("automaticFailoverEnabled"):
            problems.append(f"{cache.label}: multiAzEnabled without automaticFailoverEnabled; CreateReplicationGroup refuses it")
    return problems


def problems(stack: Stack) -> list[str]:
    out = []
    for resource in stack.resources:
        out += api_problems(resource)
    return out + cross_field_problems(stack)
