"""Settings → each component's Args: the one place that knows both this program's configuration
and the components' own terms.

`__main__.py` calls one function per component; each is pure (settings and other components'
outputs in, Args out), so the tests can compare what a stack file becomes without running Pulumi.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pulumi

from showrunner.config import Settings
from showrunner_components.delivery.component import DeliveryArgs
from showrunner_components.fleet.component import FleetArgs
from showrunner_components.golden_ami.component import GoldenAmiArgs
from showrunner_components.image_pipeline.component import ImagePipelineArgs
from showrunner_components.load_balancer.component import LoadBalancerArgs
from showrunner_components.network.component import NetworkArgs
from showrunner_components.secrets.component import ServiceSecretsArgs
from showrunner_components.state.component import StateArgs
from showrunner_components.tagging import merge_tags


def secrets_args(settings: Settings, tags: dict[str, str]) -> ServiceSecretsArgs:
    return ServiceSecretsArgs(stack=settings.stack, secrets=settings.secrets, tags=tags)


def network_args(settings: Settings, tags: dict[str, str]) -> NetworkArgs:
    return NetworkArgs(settings=settings.network, tags=tags)


def state_args(settings: Settings, network, tags: dict[str, str]) -> StateArgs:
    return StateArgs(
        stack=settings.stack,
        settings=settings.state,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        tags=tags,
    )


def load_balancer_args(settings: Settings, network, tags: dict[str, str]) -> LoadBalancerArgs:
    return LoadBalancerArgs(
        settings=settings.load_balancer,
        services=settings.services,
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        tags=tags,
    )


def golden_ami_args(settings: Settings, network, tags: dict[str, str]) -> GoldenAmiArgs:
    return GoldenAmiArgs(
        stack=settings.stack,
        settings=settings.golden_ami,
        tags=merge_tags(tags, Service="golden-ami"),
        subnet_id=network.private_subnet_ids.apply(lambda ids: ids[0]),
    )


def image_pipeline_args(settings: Settings, project_dir: Path, tags: dict[str, str]) -> ImagePipelineArgs:
    return ImagePipelineArgs(
        project=settings.project,
        stack=settings.stack,
        settings=settings.images,
        project_dir=project_dir,
        tags=tags,
    )


def fleet_args(settings: Settings, fleet_name: str, *, golden_ami, images, secrets, network, load_balancer, state, tags: dict[str, str]) -> FleetArgs:
    services = settings.services_on(fleet_name)
    return FleetArgs(
        stack=settings.stack,
        settings=settings.fleets[fleet_name],
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
    )


def delivery_args(settings: Settings, *, secrets, fleets: dict, tags: dict[str, str]) -> DeliveryArgs:
    return DeliveryArgs(
        stack=settings.stack,
        settings=settings.delivery,
        service_secrets_key_arn=secrets.key_arn,
        pass_role_arns=[f.role_arn for _, f in sorted(fleets.items())],
        tags=tags,
    )


def state_endpoints_output(state) -> pulumi.Output:
    return state.endpoints.apply(dataclasses.asdict)
