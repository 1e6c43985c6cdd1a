"""showrunner: the table of contents of one stack.

Config → typed settings → components. Everything below is wiring; the work lives in components/.
"""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.fleet import Fleet, FleetArgs, placeholder_image_digests
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.network import Network, NetworkArgs
from components.runtime import stack_settings
from components.secrets import ServiceSecrets, ServiceSecretsArgs
from components.tagging import stack_tags

settings = stack_settings(Path(__file__).parent)
tags = stack_tags(settings.tags, settings.environment)

secrets = ServiceSecrets(
    "secrets",
    ServiceSecretsArgs(stack=settings.stack, secrets=settings.secrets, tags=tags),
)

network = Network("network", NetworkArgs(settings=settings.network, tags=tags))
load_balancer = LoadBalancer(
    "web",
    LoadBalancerArgs(
        settings=settings.load_balancer,
        services=settings.services,
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        tags=tags,
    ),
)

# Placeholders until ImagePipeline and GoldenAmi are wired here: Debian's parent AMI and
# stand-in digests (hosts still run repo@sha256:..., never a tag).
placeholder_ami_id = aws.ssm.get_parameter_output(name=settings.golden_ami.parent_image_parameter).value
image_digests = placeholder_image_digests()
repository_arns: list = []

fleets = {}
for fleet_name, fleet_settings in sorted(settings.fleets.items()):
    services = settings.services_on(fleet_name)
    fleets[fleet_name] = Fleet(
        fleet_name,
        FleetArgs(
            stack=settings.stack,
            settings=fleet_settings,
            services=services,
            ami_id=placeholder_ami_id,
            image_digests=image_digests,
            repository_arns=repository_arns,
            secrets_key_arn=secrets.key_arn,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            load_balancer_security_group_id=load_balancer.security_group_id,
            load_balancer_arn_suffix=load_balancer.arn_suffix,
            target_groups={n: tg for n, tg in load_balancer.target_groups.items() if n in services},
            drain_seconds=settings.load_balancer.deregistration_delay_seconds,
            tags=tags,
        ),
    )

pulumi.export("secrets_key_arn", secrets.key_arn)
pulumi.export("vpc_id", network.vpc_id)
pulumi.export("load_balancer_dns_name", load_balancer.dns_name)
pulumi.export("fleet_groups", {n: f.group_name for n, f in fleets.items()})
