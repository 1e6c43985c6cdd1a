"""Settings → each component's Args: the one place that knows both this program's configuration
and the components' own terms.

`__main__.py` calls one function per component; each is pure (settings and other components'
outputs in, Args out), so the tests can compare what a stack file becomes without running Pulumi.
Another component's output is used through `_with`: the tests hand plain values in and get plain
Args back; the program hands Outputs in and gets Outputs.

This is where the program's words become the components' words: a service's `uses` becomes its
store environment, its fleet's hop limit, role statements and peer security groups; its `route`
becomes a load balancer route and the fleet's target group; its `image` decides which digest it
runs and which repositories its fleet's role may pull from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pulumi

from showrunner.config import Settings
from showrunner.config.images import IMAGES_DIR
from showrunner.config.models import Fleet, Service
from showrunner.config.values import is_external_image, is_private_ecr
from showrunner.golden import GOLDEN_DOCUMENTS, GOLDEN_FOLDER
from showrunner_components.delivery import DeliveryArgs
from showrunner_components.permissions_boundary import PermissionsBoundaryArgs
from showrunner_components.fleet import FleetAlarms, FleetArgs, FleetPeerSecurityGroup, FleetScheduledAction, FleetService, FleetSpot, FleetWarmPool
from showrunner_components.golden_ami import GoldenAmiArgs
from showrunner_components.image_pipeline import ImagePipelineArgs, PipelineImage
from showrunner_components.image_pipeline.builds import repository_arn_of
from showrunner_components.load_balancer import LoadBalancerArgs, LoadBalancerRoute
from showrunner_components.network import NetworkArgs
from showrunner_components.observability import AlertsArgs, AlertsSubscription, DashboardArgs, DashboardStores, alarms
from showrunner_components.secrets import ServiceSecretsArgs
from showrunner_components.state import StateAlarms, StateArgs, StateCache, StateEndpoints, StateMysql, StateQueues, StateTable, contract, names
from showrunner_components.tagging import merge_tags

T = TypeVar("T")
U = TypeVar("U")

CONTAINER_METADATA_HOP_LIMIT = 2
"""For fleets whose containers call AWS themselves (queues, tables): the bridge network is one hop
more than the host, so the instance role is reachable from the container."""


def _with(value: pulumi.Input[T], fn: Callable[[T], U]) -> pulumi.Input[U]:
    """`fn` of `value`: at once for a plain value (the tests), once resolved for an Output (the program)."""
    return value.apply(fn) if isinstance(value, pulumi.Output) else fn(value)


def _present(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are not None: an unset setting is a left-out Args field."""
    return {key: value for key, value in values.items() if value is not None}


def secrets_args(settings: Settings, tags: dict[str, str]) -> ServiceSecretsArgs:
    return ServiceSecretsArgs(
        stack=settings.stack,
        secrets={
            service: {name: pulumi.Output.secret(value.get_secret_value()) for name, value in values.items()}
            for service, values in settings.secrets.items()
        },
        tags=tags,
    )


def alerts_args(settings: Settings, tags: dict[str, str]) -> AlertsArgs:
    """The topic every alarm notifies, its subscribers, and the key that also encrypts the stack's log groups."""
    return AlertsArgs(
        stack=settings.stack,
        subscriptions=[AlertsSubscription(protocol=s.protocol, endpoint=s.endpoint) for s in settings.alerts.subscriptions],
        log_group_prefix=f"/showrunner/{settings.stack}/",
        tags=tags,
    )


def _alarm_actions(alerts) -> dict[str, Any]:
    return {"alarm_actions": _with(alerts.topic_arn, lambda arn: [arn])}


def network_args(settings: Settings, tags: dict[str, str]) -> NetworkArgs:
    network = settings.network
    if network.vpc_id:
        return NetworkArgs(
            vpc_id=network.vpc_id,
            public_subnet_ids=list(network.public_subnet_ids),
            private_subnet_ids=list(network.private_subnet_ids),
            tags=tags,
        )
    return NetworkArgs(cidr_block=network.cidr, availability_zone_count=network.az_count, nat_gateways=network.nat, tags=tags)


def state_args(settings: Settings, network, alerts, tags: dict[str, str]) -> StateArgs:
    state, limits = settings.state, settings.alerts.thresholds
    args = StateArgs(
        stack=settings.stack,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        protect=state.protect,
        alarms={key: getattr(limits, key) for key in STATE_THRESHOLDS},
        tags=tags,
        **_alarm_actions(alerts),
    )
    if state.mysql is not None:
        mysql = state.mysql
        args["mysql"] = StateMysql(**_present(
            engine_version=mysql.engine_version,
            instance_class=mysql.instance_class,
            allocated_storage=mysql.allocated_storage_gb,
            max_allocated_storage=mysql.max_allocated_storage_gb,
            multi_az=mysql.multi_az,
            backup_retention_period=mysql.backup_retention_days,
            backup_window=mysql.backup_window,
            maintenance_window=mysql.maintenance_window,
            db_name=mysql.database_name,
            username=mysql.username,
            app_username=mysql.app_username,
        ))
    if state.cache is not None:
        cache = state.cache
        args["cache"] = StateCache(
            engine=cache.engine,
            engine_version=cache.engine_version,
            node_type=cache.node_type,
            num_cache_clusters=cache.num_cache_clusters,
            automatic_failover_enabled=cache.automatic_failover,
            multi_az_enabled=cache.multi_az,
            snapshot_retention_limit=cache.snapshot_retention_days,
            snapshot_window=cache.snapshot_window,
        )
    if state.tables:
        args["tables"] = {
            key: StateTable(**_present(
                hash_key=table.hash_key,
                hash_key_type=table.hash_key_type,
                range_key=table.range_key,
                range_key_type=table.range_key_type,
                ttl_attribute=table.ttl_attribute,
            ))
            for key, table in state.tables.items()
        }
    if state.queues is not None:
        queues = state.queues
        args["queues"] = StateQueues(
            names=list(queues.names),
            visibility_timeout_seconds=queues.visibility_timeout_seconds,
            message_retention_seconds=queues.message_retention_seconds,
            max_receive_count=queues.max_receive_count,
        )
    return args


def load_balancer_args(settings: Settings, network, alerts, tags: dict[str, str]) -> LoadBalancerArgs:
    """Every service with a `route` becomes a route: its first host port, its paths, hosts and health path."""
    balancer = settings.load_balancer
    routes = [
        LoadBalancerRoute(
            name=name,
            port=service.host_ports[0],
            priority=service.route.priority,
            path_patterns=list(service.route.paths),
            host_headers=list(service.route.hosts),
            health_check_path=service.health,
        )
        for name, service in sorted(settings.services.items())
        if service.route is not None
    ]
    return LoadBalancerArgs(
        stack=settings.stack,
        certificate_arn=balancer.certificate_arn,
        vpc_id=network.vpc_id,
        subnet_ids=network.public_subnet_ids,
        routes=routes,
        idle_timeout=balancer.idle_timeout_seconds,
        deregistration_delay=balancer.deregistration_delay_seconds,
        slow_start=balancer.slow_start_seconds,
        deletion_protection=balancer.deletion_protection,
        # Access logs to `showrunner-<stack>-alb-logs-<account>`; a production stack keeps them and its
        # deletion protection (the config's checks and the pack's data-prod-alb-logged-protected).
        **({"access_logs_bucket_prefix": f"showrunner-{settings.stack}-alb-logs", "access_logs_days": balancer.access_log_retention_days}
           if balancer.access_logs else {}),
        alarms={"elb_5xx_per_minute": settings.alerts.thresholds.load_balancer_5xx_per_minute},
        tags=tags,
        **_alarm_actions(alerts),
    )


def boundary_args(settings: Settings, secrets, tags: dict[str, str]) -> PermissionsBoundaryArgs:
    """The stack's permissions boundary: its repositories (`<project>/<stack>/*`) and its secrets key."""
    return PermissionsBoundaryArgs(
        stack=settings.stack,
        repository_prefix=f"{settings.project}/{settings.stack}",
        key_arns=pulumi.Output.all(secrets.key_arn),
        tags=tags,
    )


def golden_ami_args(settings: Settings, project_dir: Path, network, alerts, tags: dict[str, str], boundary=None) -> GoldenAmiArgs:
    """The build instance runs in the first private subnet, in a security group of its own in that VPC;
    a failed build reaches the alert topic."""
    golden = settings.golden_ami
    args = GoldenAmiArgs(
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
        subnet_id=_with(network.private_subnet_ids, lambda ids: ids[0]),
        vpc_id=network.vpc_id,
        alert_topic_arn=alerts.topic_arn,
        tags=merge_tags(tags, Service="golden-ami"),
    )
    if boundary is not None:
        args["permissions_boundary"] = boundary.arn
    return args


def image_pipeline_args(settings: Settings, project_dir: Path, tags: dict[str, str]) -> ImagePipelineArgs:
    """`showrunner:images` entries become the pipeline's images; contexts are paths from the working
    directory, where the Docker provider resolves them (the project directory under the Pulumi CLI)."""
    images = [
        PipelineImage(
            name=name,
            context=os.path.relpath(project_dir / IMAGES_DIR / image.context_folder(name)),
            **_present(
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
        **_present(refresh_key=pipeline.refresh_key),
    )


def service_image(service: Service, pipeline_digests: pulumi.Input[Mapping[str, str]]) -> pulumi.Input[str]:
    """The digest a host runs: an external image's own reference (settings refuse one without a
    digest), else the pipeline's (`pipeline_digests`: `ImagePipeline.digests`, or a plain map of them)."""
    if is_external_image(service.image):
        return service.image
    return pipeline_digests[service.image]


def external_repository_arns(services: Mapping[str, Service]) -> list[str]:
    """The private ECR repositories, outside this stack's pipeline, that `services` run images of:
    their fleet's role may pull exactly these (ECR Public needs no grant)."""
    return sorted({repository_arn_of(s.image) for s in services.values() if is_external_image(s.image) and is_private_ecr(s.image)})


def fleet_service(name: str, service: Service, *, image: pulumi.Input[str], endpoints: pulumi.Input[StateEndpoints], load_balancer) -> FleetService:
    """One service in the fleet's words: its `env` over the environment of the stores it `uses`
    (`state.contract`), the database token it keeps fresh for MySQL, and its target group if it is routed."""
    spec = FleetService(
        name=name,
        type=service.type,
        image=image,
        command=service.command,
        environment=_with(endpoints, lambda e: {**contract.service_env(service.uses, e), **service.env}) if service.uses else dict(service.env),
        ports=list(service.ports),
        volumes=list(service.volumes),
        remove_on_exit=service.rm,
        memory_mb=service.memory_mb,
    )
    if service.secrets:
        spec["secret_names"] = sorted(service.secrets)
    if service.schedule is not None:
        spec["schedule"] = service.schedule
    if "mysql" in service.uses:
        spec["credential_files"] = _with(endpoints, lambda e: contract.service_credential_files(service.uses, e))
    if service.route is not None:
        # The route's own group: its alarms and its fleet's Auto Scaling group depend on it alone.
        target_group = load_balancer.target_groups[name]
        spec["target_group_arn"] = target_group.arn
        spec["target_group_arn_suffix"] = target_group.arn_suffix
    return spec


def fleet_args(settings: Settings, fleet_name: str, *, golden_ami, images, secrets, network, load_balancer, state, alerts, tags: dict[str, str],
               boundary=None) -> FleetArgs:
    """One fleet: its group's shape, its services, where it runs, and what its services' stores ask of it.

    Each fleet gets the statements, security groups and hop limit of its own services' `uses` only.
    """
    services = settings.services_on(fleet_name)
    args = FleetArgs(
        stack=settings.stack,
        services=[
            fleet_service(name, service, image=service_image(service, images.digests), endpoints=state.endpoints, load_balancer=load_balancer)
            for name, service in sorted(services.items())
        ],
        image_id=golden_ami.ami_id,
        repository_arns=[
            *(images.repository_arns[image] for image in sorted({s.image for s in services.values()} & set(settings.images))),
            *external_repository_arns(services),
        ],
        secrets_key_arn=secrets.key_arn,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        load_balancer_security_group_id=load_balancer.security_group_id,
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        deregistration_delay=settings.load_balancer.deregistration_delay_seconds,
        alarms={key: getattr(settings.alerts.thresholds, key) for key in FLEET_THRESHOLDS},
        log_retention_days=settings.logs.retention_days,
        log_kms_key_arn=alerts.key_arn,
        tags=tags,
        **_alarm_actions(alerts),
        **group_shape(settings.fleets[fleet_name]),
    )
    args.update(store_access(contract.uses_of(s.uses for s in services.values()), state))
    if boundary is not None:
        args["permissions_boundary"] = boundary.arn
    return args


def group_shape(fleet: Fleet) -> dict[str, Any]:
    """`showrunner:fleets.<name>` in Auto Scaling's words: sizes, scaling, schedules, Spot, warm pool, volumes."""
    shape: dict[str, Any] = dict(
        instance_types=list(fleet.instance_types),
        min_size=fleet.min_size,
        max_size=fleet.max_size,
        cpu_target_percent=fleet.scaling.cpu_percent,
        scheduled_actions=[
            FleetScheduledAction(**_present(name=name, recurrence=a.recurrence, min_size=a.min_size, max_size=a.max_size,
                                            desired_capacity=a.desired_capacity, time_zone=a.time_zone))
            for name, a in sorted(fleet.scheduled.items())
        ],
        root_volume_size=fleet.root_volume_gb,
        data_volume_size=fleet.data_volume_gb,
        health_check_grace_period=fleet.health_check_grace_seconds,
        min_free_mb=fleet.min_free_mb,
        start_deadline_seconds=fleet.start_deadline_s,
        **_present(desired_capacity=fleet.desired_capacity, requests_per_target=fleet.scaling.requests_per_target),
    )
    if fleet.spot is not None:
        shape["spot"] = FleetSpot(
            on_demand_base_capacity=fleet.spot.on_demand_base_capacity,
            on_demand_percentage_above_base_capacity=fleet.spot.on_demand_percentage_above_base,
        )
    if fleet.warm_pool is not None:
        pool = fleet.warm_pool
        shape["warm_pool"] = FleetWarmPool(**_present(
            pool_state=pool.pool_state, min_size=pool.min_size, max_group_prepared_capacity=pool.max_group_prepared_capacity
        ))
    return shape


def store_access(uses: list[str], state) -> dict[str, Any]:
    """What the stores in `uses` ask of a fleet: the hop limit (2 when a container calls SQS or
    DynamoDB itself), the role's statements, and the store security groups that must admit it."""
    if not uses:
        return {}
    access: dict[str, Any] = {
        "additional_role_statements": _with(state.endpoints, lambda e: contract.access_statements(uses, e)),
        "peer_security_groups": [
            FleetPeerSecurityGroup(name=store, security_group_id=_with(state.security_group_ids, lambda ids, s=store: ids[s]), port=port)
            for store, port in contract.ingress_ports(uses).items()
        ],
    }
    if contract.AWS_API_STORES & set(uses):
        access["http_put_response_hop_limit"] = CONTAINER_METADATA_HOP_LIMIT
    return access


def delivery_args(settings: Settings, *, secrets, fleets: dict, golden_ami, images, boundary, tags: dict[str, str]) -> DeliveryArgs:
    """The deploy role passes the fleets' and the image build's roles, and creates roles only under
    `boundary`; a production stack's pull requests preview offline, so its preview role trusts main
    only. A promoted stack's deploy role may also tag, as releases, the digests it runs from its
    source's repositories."""
    delivery = settings.delivery
    promoted = sorted(name for name, image in settings.images.items() if image.release is not None)
    release = (
        {"release_repository_arns": _with(images.repository_arns, lambda arns: sorted({arns[name] for name in promoted}))} if promoted else {}
    )
    return DeliveryArgs(
        stack=settings.stack,
        project=settings.project,
        github_repository=delivery.github_repository,
        state_bucket=delivery.state_bucket,
        service_secrets_key_arn=secrets.key_arn,
        pass_role_arns=pulumi.Output.all(*[f.role_arn for _, f in sorted(fleets.items())], golden_ami.build_role_arn),
        permissions_boundary_arn=boundary.arn,
        pull_request_previews=not settings.production,
        tags=tags,
        **release,
        **_present(
            secrets_provider_key_arn=delivery.secrets_provider_key_arn,
            oidc_provider_arn=delivery.oidc_provider_arn,
            deploy_environment=delivery.deploy_environment,
        ),
    )


FLEET_THRESHOLDS = tuple(FleetAlarms.__annotations__)
"""`showrunner:alerts.thresholds` keys that are `FleetAlarms`' (same names): read from the component's
own args, so that an alarm the fleet gains is wired (or fails loudly here) rather than left out."""
STATE_THRESHOLDS = tuple(StateAlarms.__annotations__)
"""`showrunner:alerts.thresholds` keys that are `StateAlarms`' (same names), likewise."""


def dashboard_args(settings: Settings, *, load_balancer, fleets: dict, state) -> DashboardArgs:
    """The dashboard: every component's alarms, the load balancer and its routes, each fleet, each store.

    The stores are named as the state component names them (`state.names`), so no output is awaited."""
    stack, stores = settings.stack, settings.state
    shown = DashboardStores(
        queues={names.queue_name(stack, q): names.queue_name(stack, q, dead_letter=True) for q in (stores.queues.names if stores.queues else [])},
        tables=[names.table_name(stack, t) for t in sorted(stores.tables)],
    )
    if stores.mysql is not None:
        shown["mysql_instance_id"] = names.resource_name(stack, "mysql")
    if stores.cache is not None:
        shown["cache_node_ids"] = alarms.cache_member_ids(names.resource_name(stack, "cache"), stores.cache.num_cache_clusters)
    alarm_lists = [load_balancer.alarm_arns, state.alarm_arns, *(fleet.alarm_arns for _, fleet in sorted(fleets.items()))]
    return DashboardArgs(
        stack=stack,
        alarm_arns=pulumi.Output.all(*alarm_lists).apply(lambda lists: [arn for arns in lists for arn in arns]),
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        target_group_arn_suffixes=load_balancer.target_group_arn_suffixes,
        fleet_group_names=pulumi.Output.all(**{n: f.group_name for n, f in fleets.items()}) if fleets else {},
        stores=shown,
    )


def state_endpoints_output(state) -> pulumi.Output:
    """The `state_endpoints` export: every `StateEndpoints` key, None for a store the stack leaves out."""
    return state.endpoints.apply(lambda endpoints: {key: endpoints.get(key) for key in StateEndpoints.__annotations__})
