"""The network under mocks: subnets per zone, NAT as each stack chooses, no SSH anywhere."""

from __future__ import annotations

import re

import pytest

from showrunner_components.network.component import Network, subnet_cidrs
from tests.conftest import by_type, one


def test_subnet_blocks_are_exact():
    assert subnet_cidrs("10.30.0.0/16", 3) == (
        ["10.30.0.0/20", "10.30.16.0/20", "10.30.32.0/20"],
        ["10.30.128.0/20", "10.30.144.0/20", "10.30.160.0/20"],
    )


def test_prod_spans_three_zones_with_a_nat_per_zone(stack_run):
    run = stack_run("prod")
    assert one(run, "aws:ec2/vpc:Vpc", "network-vpc").inputs["cidrBlock"] == "10.30.0.0/16"
    subnets = {r.name: r.inputs for r in by_type(run, "aws:ec2/subnet:Subnet")}
    assert {n: (s["cidrBlock"], s["availabilityZone"]) for n, s in subnets.items()} == {
        "network-public-a": ("10.30.0.0/20", "us-east-1a"),
        "network-public-b": ("10.30.16.0/20", "us-east-1b"),
        "network-public-c": ("10.30.32.0/20", "us-east-1c"),
        "network-private-a": ("10.30.128.0/20", "us-east-1a"),
        "network-private-b": ("10.30.144.0/20", "us-east-1b"),
        "network-private-c": ("10.30.160.0/20", "us-east-1c"),
    }
    assert not any(s.get("mapPublicIpOnLaunch") for s in subnets.values())
    assert sorted(r.name for r in by_type(run, "aws:ec2/natGateway:NatGateway")) == ["network-nat-a", "network-nat-b", "network-nat-c"]
    routes = {r.name: r.inputs["routes"] for r in by_type(run, "aws:ec2/routeTable:RouteTable") if "private" in r.name}
    nat_ids = {r.name: r for r in by_type(run, "aws:ec2/natGateway:NatGateway")}
    assert len({route[0]["natGatewayId"] for route in routes.values()}) == 3
    assert len(nat_ids) == 3


def test_staging_shares_one_nat(stack_run):
    run = stack_run("staging")
    assert [r.name for r in by_type(run, "aws:ec2/natGateway:NatGateway")] == ["network-nat-a"]
    private_routes = [r.inputs["routes"] for r in by_type(run, "aws:ec2/routeTable:RouteTable") if "private" in r.name]
    assert len(private_routes) == 2 and len({routes[0]["natGatewayId"] for routes in private_routes}) == 1


def test_nothing_admits_ssh_or_the_internet_to_hosts(stack_run):
    run = stack_run("prod")
    ingress = by_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert all(not (r.inputs.get("fromPort", 0) <= 22 <= r.inputs.get("toPort", 0)) for r in ingress)
    open_to_world = sorted(r.name for r in ingress if "cidrIpv4" in r.inputs or "cidrIpv6" in r.inputs)
    assert open_to_world == ["web-sg-in-443-v4", "web-sg-in-443-v6", "web-sg-in-80-v4", "web-sg-in-80-v6"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"vpc_id": "vpc-1"}, "network n: an existing VPC needs vpc_id, public_subnet_ids, private_subnet_ids together (given: vpc_id)"),
        ({"vpc_id": "vpc-1", "public_subnet_ids": ["a"], "private_subnet_ids": ["b"], "nat_gateways": "single"},
         "network n: nat_gateways describe a new VPC; leave them out with vpc_id"),
        ({"nat_gateways": "two"}, "network n: nat_gateways 'two' is not one of none, single, per_az"),
        ({"availability_zone_count": 9}, "network n: availability_zone_count 9 is not 2 to 8"),
    ],
)
def test_a_network_it_cannot_build_is_refused_in_one_line(args, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        Network("n", args)
