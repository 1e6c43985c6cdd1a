"""The VPC the fleets live in: public subnets for the load balancer and NAT, private ones for hosts.

Either a new VPC (`cidr`, `az_count`, `nat`) or an existing one (`vpc_id` and subnet ids from
config). There is no bastion and no SSH rule anywhere: hosts are reached through SSM Session
Manager, which needs only outbound HTTPS (through NAT).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from showrunner.config.models import Network as NetworkSettings
from showrunner_components.tagging import merge_tags


def subnet_cidrs(cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Public and private subnet blocks: the VPC cut in 16; public from block 0, private from 8."""
    blocks = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=4))
    return [str(b) for b in blocks[:az_count]], [str(b) for b in blocks[8 : 8 + az_count]]


@dataclass
class NetworkArgs:
    settings: NetworkSettings
    tags: dict[str, str] = field(default_factory=dict)


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets across `az_count` zones, or an existing VPC."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:network:Network", name, None, opts)
        settings = args.settings
        tags = merge_tags(args.tags, None, Service="network")
        if settings.vpc_id:
            self._existing(settings)
        else:
            self._new(name, settings, tags)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _existing(self, settings: NetworkSettings) -> None:
        vpc = aws.ec2.get_vpc_output(id=settings.vpc_id, opts=pulumi.InvokeOptions(parent=self))
        self.vpc_id = pulumi.Output.from_input(settings.vpc_id)
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.from_input(list(settings.public_subnet_ids))
        self.private_subnet_ids = pulumi.Output.from_input(list(settings.private_subnet_ids))

    def _new(self, name: str, settings: NetworkSettings, tags: dict[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # SSM and ECR endpoints resolve by name
            tags=merge_tags(tags, f"{name}-vpc"),
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=merge_tags(tags, f"{name}-igw"), opts=child)
        public_table = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=merge_tags(tags, f"{name}-public"),
            opts=child,
        )
        public_blocks, private_blocks = subnet_cidrs(settings.cidr, settings.az_count)
        public, private, nats = [], [], []
        for index in range(settings.az_count):
            zone = zones.names[index]
            suffix = chr(ord("a") + index)
            subnet = aws.ec2.Subnet(
                f"{name}-public-{suffix}",
                vpc_id=vpc.id,
                cidr_block=public_blocks[index],
                availability_zone=zone,
                map_public_ip_on_launch=False,  # only the load balancer and NAT live here
                tags=merge_tags(tags, f"{name}-public-{suffix}", Tier="public"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-public-{suffix}", subnet_id=subnet.id, route_table_id=public_table.id, opts=child)
            public.append(subnet)
            if settings.nat == "per_az" or (settings.nat == "single" and index == 0):
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
        for index in range(settings.az_count):
            zone = zones.names[index]
            suffix = chr(ord("a") + index)
            subnet = aws.ec2.Subnet(
                f"{name}-private-{suffix}",
                vpc_id=vpc.id,
                cidr_block=private_blocks[index],
                availability_zone=zone,
                tags=merge_tags(tags, f"{name}-private-{suffix}", Tier="private"),
                opts=child,
            )
            # nat "none": hosts then reach ECR, SSM and CloudWatch only through VPC endpoints the
            # account provides; the routes stay local.
            routes = []
            if nats:
                nat = nats[index] if settings.nat == "per_az" else nats[0]
                routes = [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)]
            table = aws.ec2.RouteTable(
                f"{name}-private-{suffix}", vpc_id=vpc.id, routes=routes, tags=merge_tags(tags, f"{name}-private-{suffix}"), opts=child
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-{suffix}", subnet_id=subnet.id, route_table_id=table.id, opts=child)
            private.append(subnet)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
