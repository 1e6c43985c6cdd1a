"""Settings → each component's Args: the one place that knows both this program's configuration
and the components' own terms.

`__main__.py` calls one function per component; each is pure (settings and other components'
outputs in, Args out), so the tests can compare what a stack file becomes without running Pulumi.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pulumi

from showrunner.config import Settings
from showrunner.config.images import IMAGES_DIR
from showrunner.golden import GOLDEN_DOCUMENTS, GOLDEN_FOLDER
from showrunner_components.delivery.component import DeliveryArgs
from showrunner_components.fleet.component import FleetArgs
from showrunner_components.golden_ami.component import GoldenAmiArgs
from showrunner_components.image_pipeline.component import ImagePipelineArgs, PipelineImage
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


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that have a value: a component's NotRequired inputs are left out, not None."""
    return {key: value for key, value in fields.items() if value is not None}


def golden_ami_args(settings: Settings, project_dir: Path, network, tags: dict[str, str]) -> GoldenAmiArgs:
    golden = settings.golden_ami
    return GoldenAmiArgs(
        stack=settings.stack,
        documents_dir=str(project_dir / GOLDEN_FOLDER),
        documents=list(GOLDEN_DOCUMENTS),
        ami_description=f"showrunner {settings.stack} fleet host (Debian 12, Docker, chrony, SSM agent)",
        parent_image_parameter=golden.parent_image_parameter,
        schedule=golden.schedule,
        build_instance_types=list(golden.build_instance_types),
        root_volume_size=golden.root_volume_gb,
        log_retention_days=golden.log_retention_days,
        bootstrap=golden.bootstrap,
        subnet_id=network.private_subnet_ids.apply(lambda ids: ids[0]),
        tags=merge_tags(tags, Service="golden-ami"),
    )


def image_pipeline_args(settings: Settings, project_dir: Path, tags: dict[str, str]) -> ImagePipelineArgs:
    """`showrunner:images` entries become the pipeline's images; contexts are paths from the working
    directory, where the Docker provider resolves them (the project directory under the Pulumi CLI)."""
    images = [
        PipelineImage(
            name=name,
            context=os.path.relpath(project_dir / IMAGES_DIR / image.context_folder(name)),
            **_given(
                parent=image.parent,
                parent_build_arg=image.parent_build_arg,
                target=image.target,
                test_target=image.test_target,
                weekly=image.weekly or None,
                release=image.release,
            ),
        )
        for name, image in settings.images.items()
    ]
    pipeline = settings.image_pipeline
    return ImagePipelineArgs(
        repository_prefix=f"{settings.project}/{settings.stack}",
        images=images,
        keep_releases=pipeline.keep_releases,
        untagged_expiry_days=pipeline.untagged_expiry_days,
        tags=tags,
        **_given(refresh_key=pipeline.refresh_key),
    )


def fleet_args(settings: Settings, fleet_name: str, *, golden_ami, images, secrets, network, load_balancer, state, tags: dict[str, str]) -> FleetArgs:
    services = settings.services_on(fleet_name)
    return FleetArgs(
        stack=settings.stack,
        settings=settings.fleets[fleet_name],
        services=services,
        ami_id=golden_ami.ami_id,
        image_digests={image: images.digests[image] for image in settings.images},
        repository_arns=[images.repository_arns[image] for image in sorted({s.image for s in services.values()} & set(settings.images))],
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
    delivery = settings.delivery
    return DeliveryArgs(
        stack=settings.stack,
        github_repository=delivery.github_repository,
        state_bucket=delivery.state_bucket,
        service_secrets_key_arn=secrets.key_arn,
        pass_role_arns=[f.role_arn for _, f in sorted(fleets.items())],
        tags=tags,
        **_given(
            secrets_provider_key_arn=delivery.secrets_provider_key_arn,
            oidc_provider_arn=delivery.oidc_provider_arn,
            deploy_environment=delivery.deploy_environment,
        ),
    )


def state_endpoints_output(state) -> pulumi.Output:
    return state.endpoints.apply(dataclasses.asdict)
