"""The VPC the fleets live in: public subnets for the load balancer and NAT, private ones for hosts.

Either a new VPC (`cidr_block`, `availability_zone_count`, `nat_gateways`) or an existing one
(`vpc_id` and its subnet ids). There is no bastion and no SSH rule anywhere: hosts are reached
through SSM Session Manager, which needs only outbound HTTPS (through NAT).
"""

import ipaddress
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from showrunner_components.tagging import merge_tags

__all__ = ["Network", "NetworkArgs"]

DEFAULT_CIDR_BLOCK = "10.20.0.0/16"
DEFAULT_AVAILABILITY_ZONE_COUNT = 2
NAT_GATEWAYS = ("none", "single", "per_az")
EXISTING_FIELDS = ("vpc_id", "public_subnet_ids", "private_subnet_ids")
NEW_FIELDS = ("cidr_block", "availability_zone_count", "nat_gateways")


def subnet_cidrs(cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Public and private subnet blocks: the VPC cut in 16; public from block 0, private from 8."""
    blocks = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=4))
    return [str(b) for b in blocks[:az_count]], [str(b) for b in blocks[8 : 8 + az_count]]


class NetworkArgs(TypedDict):
    cidr_block: NotRequired[str]
    """A new VPC's block, cut into 16 subnets: public from the first, private from the ninth.
    Default: 10.20.0.0/16."""
    availability_zone_count: NotRequired[int]
    """A new VPC's zones (2-8), one public and one private subnet in each. Default: 2."""
    nat_gateways: NotRequired[str]
    """A new VPC's NAT: `none` (hosts reach AWS only through VPC endpoints the account provides),
    `single` (one in the first zone) or `per_az` (one per zone, survives a zone loss). Default: single."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """An existing VPC to use instead of creating one; then give both subnet lists and none of
    the new-VPC fields. Default: a new VPC."""
    public_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """The existing VPC's public subnets (the load balancer's), two zones or more. Needed with `vpc_id`."""
    private_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """The existing VPC's private subnets (hosts and stores), two zones or more. Needed with `vpc_id`."""
    tags: NotRequired[dict[str, str]]
    """Tags on every resource, before `Name`, `Service=network` and `Tier`. Default: none."""


def _check(name: str, args: NetworkArgs) -> None:
    existing = [key for key in EXISTING_FIELDS if key in args]
    if existing and len(existing) != len(EXISTING_FIELDS):
        raise ValueError(f"network {name}: an existing VPC needs {', '.join(EXISTING_FIELDS)} together (given: {', '.join(existing)})")
    mixed = [key for key in NEW_FIELDS if key in args]
    if existing and mixed:
        raise ValueError(f"network {name}: {', '.join(mixed)} describe a new VPC; leave them out with vpc_id")
    if not 2 <= args.get("availability_zone_count", DEFAULT_AVAILABILITY_ZONE_COUNT) <= 8:
        raise ValueError(f"network {name}: availability_zone_count {args['availability_zone_count']} is not 2 to 8 (the VPC is cut into 8 public and 8 private blocks)")
    if args.get("nat_gateways", "single") not in NAT_GATEWAYS:
        raise ValueError(f"network {name}: nat_gateways {args['nat_gateways']!r} is not one of {', '.join(NAT_GATEWAYS)}")


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets across `availability_zone_count` zones, or an existing VPC."""

    vpc_id: pulumi.Output[str]
    """The VPC's id."""
    vpc_cidr: pulumi.Output[str]
    """The VPC's IPv4 block."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets, one per zone in zone order: the load balancer's and the NAT gateways'."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets, one per zone in zone order: hosts and stores."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        _check(name, args)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:network:Network")]))
        super().__init__("showrunner:index:Network", name, None, opts)
        tags = merge_tags(args.get("tags", {}), None, Service="network")
        if "vpc_id" in args:
            self._existing(args)
        else:
            self._new(name, args, tags)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _existing(self, args: NetworkArgs) -> None:
        vpc = aws.ec2.get_vpc_output(id=args["vpc_id"], opts=pulumi.InvokeOptions(parent=self))
        self.vpc_id = pulumi.Output.from_input(args["vpc_id"])
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.from_input(args["public_subnet_ids"])
        self.private_subnet_ids = pulumi.Output.from_input(args["private_subnet_ids"])

    def _new(self, name: str, args: NetworkArgs, tags: dict[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        cidr = args.get("cidr_block", DEFAULT_CIDR_BLOCK)
        zone_count = args.get("availability_zone_count", DEFAULT_AVAILABILITY_ZONE_COUNT)
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # SSM and ECR endpoints resolve by name
            tags=merge_tags(tags, f"{name}-vpc"),
            opts=child,
        )
        public_blocks, private_blocks = subnet_cidrs(cidr, zone_count)
        public, nats = self._public_subnets(name, vpc, zones, public_blocks, args.get("nat_gateways", "single"), tags)
        private = self._private_subnets(name, vpc, zones, private_blocks, nats, tags)
        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])

    def _public_subnets(self, name, vpc, zones, blocks: list[str], nat: str, tags) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.NatGateway]]:
        """One public subnet per zone behind the internet gateway, and the NAT gateways `nat` asks for."""
        child = pulumi.ResourceOptions(parent=self)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=merge_tags(tags, f"{name}-igw"), opts=child)
        table = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=merge_tags(tags, f"{name}-public"),
            opts=child,
        )
        subnets, nats = [], []
        for index, block in enumerate(blocks):
            suffix = chr(ord("a") + index)
            subnet = aws.ec2.Subnet(
                f"{name}-public-{suffix}",
                vpc_id=vpc.id,
                cidr_block=block,
                availability_zone=zones.names[index],
                map_public_ip_on_launch=False,  # only the load balancer and NAT live here
                tags=merge_tags(tags, f"{name}-public-{suffix}", Tier="public"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-public-{suffix}", subnet_id=subnet.id, route_table_id=table.id, opts=child)
            subnets.append(subnet)
            if nat == "per_az" or (nat == "single" and index == 0):
                eip = aws.ec2.Eip(f"{name}-nat-{suffix}", domain="vpc", tags=merge_tags(tags, f"{name}-nat-{suffix}"), opts=child)
                nats.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{suffix}",
                        allocation_id=eip.id,
                        subnet_id=subnet.id,
                        tags=merge_tags(tags, f"{name}-nat-{suffix}"),
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                    )
                )
        return subnets, nats

    def _private_subnets(self, name, vpc, zones, blocks: list[str], nats: list[aws.ec2.NatGateway], tags) -> list[aws.ec2.Subnet]:
        """One private subnet per zone, routed out through its zone's NAT gateway, or the single one."""
        child = pulumi.ResourceOptions(parent=self)
        subnets = []
        for index, block in enumerate(blocks):
            suffix = chr(ord("a") + index)
            subnet = aws.ec2.Subnet(
                f"{name}-private-{suffix}",
                vpc_id=vpc.id,
                cidr_block=block,
                availability_zone=zones.names[index],
                tags=merge_tags(tags, f"{name}-private-{suffix}", Tier="private"),
                opts=child,
            )
            # No NAT ("none"): hosts then reach ECR, SSM and CloudWatch only through VPC endpoints
            # the account provides; the routes stay local.
            routes = []
            if nats:
                nat = nats[index] if len(nats) > 1 else nats[0]
                routes = [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)]
            table = aws.ec2.RouteTable(
                f"{name}-private-{suffix}", vpc_id=vpc.id, routes=routes, tags=merge_tags(tags, f"{name}-private-{suffix}"), opts=child
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-{suffix}", subnet_id=subnet.id, route_table_id=table.id, opts=child)
            subnets.append(subnet)
        return subnets
