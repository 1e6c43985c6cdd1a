"""Hosts: launch templates and instances require IMDSv2 and encrypted volumes; no open ingress, no SSH."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Resource, as_list, describe, is_unknown, truthy

LAUNCH_TYPES = frozenset({"aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"})


def check_launch_template(resource: Resource) -> Iterator[str]:
    props = resource.props
    metadata = props.get("metadataOptions")
    tokens = metadata.get("httpTokens") if isinstance(metadata, Mapping) else None
    if not is_unknown(tokens) and tokens != "required":
        yield (
            f"{resource.label}: metadataOptions.httpTokens is {json.dumps(tokens)}, so IMDSv1 stays open; "
            'set metadataOptions = {"httpTokens": "required", "httpPutResponseHopLimit": 1} '
            "(2 only on hosts whose containers must call AWS themselves)"
        )
    if resource.type == "aws:ec2/instance:Instance":
        volumes = [("rootBlockDevice", props.get("rootBlockDevice") or {})]
        volumes += [(f"ebsBlockDevices[{i}]", v) for i, v in enumerate(as_list(props.get("ebsBlockDevices")))]
        for where, volume in volumes:
            if isinstance(volume, Mapping) and not is_unknown(volume.get("encrypted")) and not truthy(volume.get("encrypted")):
                yield f"{resource.label}: {where}.encrypted is not true; set encrypted = true"
        return
    mappings = props.get("blockDeviceMappings")
    if is_unknown(mappings):
        return
    if not as_list(mappings):
        yield (
            f"{resource.label}: has no blockDeviceMappings, so volume encryption is left to the AMI and the "
            'account default; map the root volume with ebs = {"encrypted": "true"}'
        )
    for index, mapping in enumerate(as_list(mappings)):
        ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
        if isinstance(ebs, Mapping) and not is_unknown(ebs.get("encrypted")) and not truthy(ebs.get("encrypted")):
            device = mapping.get("deviceName", "?")
            yield (
                f"{resource.label}: blockDeviceMappings[{index}] ({device}) ebs.encrypted is "
                f'{json.dumps(ebs.get("encrypted"))}; set ebs.encrypted = "true"'
            )


WORLD = ("0.0.0.0/0", "::/0")
PUBLIC_PORTS = (80, 443)
INGRESS_TYPES = frozenset(
    {
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    }
)


@dataclass(frozen=True)
class IngressRule:
    where: str
    protocol: str
    from_port: Any
    to_port: Any
    cidrs: tuple[str, ...]


def ingress_rules(resource: Resource) -> Iterator[IngressRule]:
    props = resource.props
    if resource.type == "aws:ec2/securityGroup:SecurityGroup":
        for index, rule in enumerate(as_list(props.get("ingress"))):
            if isinstance(rule, Mapping):
                cidrs = tuple(str(c) for c in as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks")))
                yield IngressRule(f"ingress[{index}]", str(rule.get("protocol", "")), rule.get("fromPort"), rule.get("toPort"), cidrs)
    elif resource.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") == "ingress":
            cidrs = tuple(str(c) for c in as_list(props.get("cidrBlocks")) + as_list(props.get("ipv6CidrBlocks")))
            yield IngressRule("rule", str(props.get("protocol", "")), props.get("fromPort"), props.get("toPort"), cidrs)
    else:
        cidrs = tuple(str(c) for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c)
        yield IngressRule("rule", str(props.get("ipProtocol", "")), props.get("fromPort"), props.get("toPort"), cidrs)


def _port_range(rule: IngressRule) -> tuple[int, int] | None:
    """The ports a rule opens; None when they are not known yet."""
    if rule.protocol.lower() in ("-1", "all"):
        return (0, 65535)
    if is_unknown(rule.from_port) or is_unknown(rule.to_port):
        return None
    # Over gRPC the engine sends every number as a float.
    low = int(rule.from_port) if _is_number(rule.from_port) else 0
    high = int(rule.to_port) if _is_number(rule.to_port) else 65535
    return (low, high)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _opens_tcp(rule: IngressRule) -> bool:
    return rule.protocol.lower() in ("-1", "all", "tcp", "6")


def check_ingress(resource: Resource) -> Iterator[str]:
    for rule in ingress_rules(resource):
        ports = _port_range(rule)
        if ports is None:
            continue
        shown = "all ports" if ports == (0, 65535) else f"port {ports[0]}" if ports[0] == ports[1] else f"ports {ports[0]}-{ports[1]}"
        if _opens_tcp(rule) and ports[0] <= 22 <= ports[1]:
            yield (
                f"{resource.label}: {rule.where} opens {shown} ({rule.protocol}), which includes SSH (22); "
                "remove it and reach hosts through SSM Session Manager"
            )
            continue
        world = [c for c in rule.cidrs if c in WORLD]
        if world and not (ports[0] == ports[1] and ports[0] in PUBLIC_PORTS and rule.protocol.lower() in ("tcp", "6")):
            yield (
                f"{resource.label}: {rule.where} opens {shown} ({rule.protocol}) to {describe(world)}; only "
                "tcp 80 and 443 may be open to the internet: narrow the CIDR or reference the load balancer's security group"
            )
