"""showrunner: the table of contents of one stack.

Config → typed settings → components. Everything below is wiring; the work lives in components/.
"""

import dataclasses
from pathlib import Path

import pulumi

from components.delivery import Delivery, DeliveryArgs
from components.fleet import Fleet, FleetArgs
from components.golden_ami import GoldenAmi, GoldenAmiArgs
from components.image_pipeline import ImagePipeline, ImagePipelineArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.network import Network, NetworkArgs
from components.runtime import stack_settings
from components.secrets import ServiceSecrets, ServiceSecretsArgs
from components.state import State, StateArgs
from components.tagging import merge_tags, stack_tags

settings = stack_settings(Path(__file__).parent)
tags = stack_tags(settings.tags, settings.environment)

secrets = ServiceSecrets(
    "secrets",
    ServiceSecretsArgs(stack=settings.stack, secrets=settings.secrets, tags=tags),
)

network = Network("network", NetworkArgs(settings=settings.network, tags=tags))
state = State(
    "state",
    StateArgs(
        stack=settings.stack,
        settings=settings.state,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        tags=tags,
    ),
)
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

golden_ami = GoldenAmi(
    "golden-ami",
    GoldenAmiArgs(
        stack=settings.stack,
        settings=settings.golden_ami,
        tags=merge_tags(tags, Service="golden-ami"),
        subnet_id=network.private_subnet_ids.apply(lambda ids: ids[0]),
    ),
)

images = ImagePipeline(
    "images",
    ImagePipelineArgs(
        project=settings.project,
        stack=settings.stack,
        settings=settings.images,
        project_dir=Path(__file__).parent,
        tags=tags,
    ),
)
fleets = {}
# A stack's first deploy (golden_ami.bootstrap) has no AMI yet: no fleets until the pipeline made one.
fleet_settings_by_name = {} if golden_ami.ami_id is None else settings.fleets
for fleet_name, fleet_settings in sorted(fleet_settings_by_name.items()):
    services = settings.services_on(fleet_name)
    fleets[fleet_name] = Fleet(
        fleet_name,
        FleetArgs(
            stack=settings.stack,
            settings=fleet_settings,
            services=services,
            ami_id=golden_ami.ami_id,
            image_digests=images.digests,
            repository_arns=images.repository_arns_for(s.image for s in services.values()),
            secrets_key_arn=secrets.key_arn,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            load_balancer_security_group_id=load_balancer.security_group_id,
            load_balancer_arn_suffix=load_balancer.arn_suffix,
            target_groups={n: tg for n, tg in load_balancer.target_groups.items() if n in services},
            drain_seconds=settings.load_balancer.deregistration_delay_seconds,
            tags=tags,
            # Each fleet gets the endpoints, statements and security-group pairs of its services' `uses` only.
            endpoints=state.endpoints,
            store_security_group_ids=state.security_group_ids,
        ),
    )

if settings.delivery is not None:
    delivery = Delivery(
        "delivery",
        DeliveryArgs(
            stack=settings.stack,
            settings=settings.delivery,
            service_secrets_key_arn=secrets.key_arn,
            pass_role_arns=[f.role_arn for _, f in sorted(fleets.items())],
            tags=tags,
        ),
    )
    pulumi.export("delivery_preview_role_arn", delivery.preview_role_arn)
    pulumi.export("delivery_deploy_role_arn", delivery.deploy_role_arn)

pulumi.export("secrets_key_arn", secrets.key_arn)
pulumi.export("image_digests", images.digests)
pulumi.export("vpc_id", network.vpc_id)
pulumi.export("state_endpoints", state.endpoints.apply(dataclasses.asdict))
pulumi.export("load_balancer_dns_name", load_balancer.dns_name)
pulumi.export("fleet_groups", {n: f.group_name for n, f in fleets.items()})
pulumi.export("golden_ami_parameter", golden_ami.ami_parameter_name)
pulumi.export("golden_ami_pipeline_arn", golden_ami.pipeline_arn)
if golden_ami.ami_id is not None:
    pulumi.export("golden_ami_id", golden_ami.ami_id)
