"""One fleet: its instance role, launch template, Auto Scaling group, scaling and draining.

Replaces 2015's hand-tuned autoscaling and Chef-converged hosts. The host's whole job is rendered by
`showrunner_components.fleet.cloud_config` into the launch template's `#cloud-config`; this component only turns settings
and the pure builders' results into resources. See README.md beside this file.

Instance metadata: IMDSv2 is required and the PUT response hop limit is **1**. Containers run on
Docker's bridge network (`--publish`), one hop further than the host, so they cannot get a token and
cannot borrow the instance role: only host processes (the secrets fetcher, the Docker engine's ECR
login, the CloudWatch agent) use it.

The one exception is a fleet whose services use SQS queues or DynamoDB tables (`uses: [queues]`,
`uses: [tables]`): Celery and boto3 in the container call those APIs with the fleet role's
credentials, so that fleet's hop limit is **2**. Its role grants those queues and tables only,
and no other fleet's hop limit changes. Stores reached over the VPC (MySQL, the cache) need no
credentials: the database password comes through the secrets fetcher, like every secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from showrunner_components.aws import ROOT_DEVICE, ec2_trust_policy
from showrunner_components.fleet import cloud_config, iam, units
from showrunner_components.state import contract as state
from showrunner.config.models import Service
from showrunner.config.models import Fleet as FleetSettings
from showrunner_components.tagging import merge_tags

METADATA_HOP_LIMIT = 1
CONTAINER_METADATA_HOP_LIMIT = 2
"""For fleets whose containers call AWS (queues, tables): the bridge network is one hop more."""
DATA_DEVICE = "/dev/xvdb"  # formatted with label docker-data on first boot, mounted at /mnt/docker
METRIC_NAMESPACES = ("Showrunner/Host",)  # the golden image's showrunner-disk-usage; nothing else publishes
LOG_RETENTION_DAYS = 30
REFRESH_CHECKPOINTS = [50, 100]
"""Pause after half of the fleet is replaced, so alarms can trigger the auto-rollback."""

def service_image(service: Service, pipeline_digests: dict[str, str]) -> str:
    """The digest a host runs: the service's own pinned `tag` digest, else the pipeline's."""
    if service.image not in pipeline_digests:
        return f"{service.image}@{service.tag}"  # settings refuse an external image without a digest
    if service.tag is not None and service.tag.startswith("sha256:"):
        return pipeline_digests[service.image].split("@", 1)[0] + "@" + service.tag
    return pipeline_digests[service.image]


@dataclass
class FleetArgs:
    stack: str
    settings: FleetSettings
    services: dict[str, Service]
    """This fleet's services (`Settings.services_on(fleet)`)."""
    ami_id: pulumi.Input[str]
    image_digests: dict[str, pulumi.Input[str]]
    """Pipeline image name → `repository@sha256:…` (`ImagePipeline.digests`)."""
    repository_arns: list[pulumi.Input[str]]
    """This stack's ECR repositories: the only ones hosts may pull from."""
    secrets_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    load_balancer_security_group_id: pulumi.Input[str]
    load_balancer_arn_suffix: pulumi.Input[str]
    target_groups: dict[str, aws.lb.TargetGroup] = field(default_factory=dict)
    """Routed service → its target group; the group registers hosts in each."""
    drain_seconds: int = 30
    """The target groups' deregistration delay: how long a terminating host keeps answering."""
    tags: dict[str, str] = field(default_factory=dict)
    endpoints: pulumi.Input[state.Endpoints] | None = None
    """The stack's stores (`State.endpoints`). Default: none; then no service may `use` a store."""
    store_security_group_ids: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Store (mysql, cache) → its security group (`State.security_group_ids`); the fleet admits itself."""


def metadata_hop_limit(uses: list[str]) -> int:
    return CONTAINER_METADATA_HOP_LIMIT if state.AWS_API_STORES & set(uses) else METADATA_HOP_LIMIT


class Fleet(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]
    group_name: pulumi.Output[str]
    user_data: pulumi.Output[str]

    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:fleet:Fleet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        settings = args.settings
        tags = merge_tags(args.tags, None, Service=f"fleet-{name}", Fleet=name)

        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        uses = state.uses_of(args.services.values())
        if uses and args.endpoints is None:
            raise ValueError(f"fleet {name}: its services use {', '.join(uses)} but no endpoints were given")
        endpoints = pulumi.Output.from_input(args.endpoints)

        # --- identity: one role per fleet, so a host reads only its own services' secrets ------
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=iam.to_json(ec2_trust_policy()),
            description=f"showrunner {args.stack} fleet {name} hosts",
            tags=merge_tags(tags, f"{name}-role"),
            opts=child,
        )
        policy = pulumi.Output.all(partition, region, account, args.secrets_key_arn, endpoints, *args.repository_arns).apply(
            lambda v: iam.to_json(
                iam.instance_role_policy(
                    partition=v[0],
                    region=v[1],
                    account=v[2],
                    stack=args.stack,
                    fleet=name,
                    services=sorted(args.services),
                    repository_arns=v[5:],
                    secrets_key_arn=v[3],
                    metric_namespaces=METRIC_NAMESPACES,
                    store_statements=state.access_statements(uses, v[4]) if uses else [],
                )
            )
        )
        aws.iam.RolePolicy(f"{name}-role-policy", role=role.id, policy=policy, opts=child)
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, tags=merge_tags(tags, f"{name}-profile"), opts=child)
        aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=iam.log_group_name(args.stack, name),
            retention_in_days=LOG_RETENTION_DAYS,
            tags=merge_tags(tags, f"{name}-logs"),
            opts=child,
        )

        # --- network: traffic only from the load balancer, only on routed ports ------------------
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"showrunner fleet {name}: service ports from the load balancer only; no SSH",
            tags=merge_tags(tags, f"{name}-sg"),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-sg-out",
            security_group_id=group.id,
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            description="ECR, SSM, CloudWatch and Session Manager over NAT",
            opts=child,
        )
        for service_name in sorted(args.target_groups):
            port = args.services[service_name].host_ports[0]
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-sg-in-{service_name}",
                security_group_id=group.id,
                referenced_security_group_id=args.load_balancer_security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{service_name} from the load balancer",
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-alb-out-{service_name}",
                security_group_id=args.load_balancer_security_group_id,
                referenced_security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"to fleet {name}, service {service_name}",
                opts=child,
            )

        # --- stores: each admits this fleet on its port, and only if a service here uses it -------
        for store, port in state.ingress_ports(uses).items():
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-sg-to-{store}",
                security_group_id=args.store_security_group_ids[store],
                referenced_security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{store} from fleet {name}",
                opts=child,
            )

        # --- launch template -------------------------------------------------------------------
        image_refs = {n: service_image(s, {}) for n, s in args.services.items() if s.image not in args.image_digests}
        needed = sorted({s.image for s in args.services.values() if s.image in args.image_digests})
        digests = pulumi.Output.all(**{image: args.image_digests[image] for image in needed})
        self.user_data = pulumi.Output.all(digests, region, endpoints).apply(
            lambda v: cloud_config.render_cloud_config(
                args.stack,
                v[1],
                args.services,
                {**image_refs, **{n: service_image(s, v[0]) for n, s in args.services.items() if s.image in args.image_digests}},
                min_free_mb=settings.min_free_mb,
                store_env={n: state.service_env(s.uses, v[2]) for n, s in args.services.items() if s.uses},
                secret_refs={n: state.service_secret_refs(s.uses, v[2]) for n, s in args.services.items() if "mysql" in s.uses},
            )
        )
        mixed = settings.warm_pool is None and (settings.spot is not None or len(settings.instance_types) > 1)
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"showrunner {args.stack} fleet {name}",
            image_id=args.ami_id,
            instance_type=None if mixed else settings.instance_types[0],
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            vpc_security_group_ids=[group.id],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=metadata_hop_limit(uses),
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                _volume(ROOT_DEVICE, settings.root_volume_gb),
                _volume(DATA_DEVICE, settings.data_volume_gb),
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            user_data=self.user_data.apply(lambda text: cloud_config.user_data_base64(text, name)),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=merge_tags(tags, f"showrunner-{args.stack}-{name}"))
                for kind in ("instance", "volume")
            ],
            tags=merge_tags(tags, f"{name}-lt"),
            opts=child,
        )

        # --- Auto Scaling group ------------------------------------------------------------------
        # A concrete version, not "$Latest": each new template version changes the group, which
        # starts an instance refresh, and auto-rollback refuses "$Latest".
        version = template.latest_version.apply(str)
        launch = {}
        if mixed:
            spot = settings.spot
            launch["mixed_instances_policy"] = aws.autoscaling.GroupMixedInstancesPolicyArgs(
                instances_distribution=aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
                    on_demand_base_capacity=spot.on_demand_base_capacity if spot else 0,
                    on_demand_percentage_above_base_capacity=spot.on_demand_percentage_above_base if spot else 100,
                    spot_allocation_strategy="price-capacity-optimized",
                ),
                launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
                    launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                        launch_template_id=template.id, version=version
                    ),
                    overrides=[
                        aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=t) for t in settings.instance_types
                    ],
                ),
            )
        else:
            launch["launch_template"] = aws.autoscaling.GroupLaunchTemplateArgs(id=template.id, version=version)
        if settings.warm_pool is not None:
            launch["warm_pool"] = aws.autoscaling.GroupWarmPoolArgs(
                pool_state=settings.warm_pool.pool_state,
                min_size=settings.warm_pool.min_size,
                max_group_prepared_capacity=settings.warm_pool.max_group_prepared_capacity,
            )
        asg = aws.autoscaling.Group(
            f"{name}-asg",
            vpc_zone_identifiers=args.private_subnet_ids,
            min_size=settings.min_size,
            max_size=settings.max_size,
            desired_capacity=settings.desired_capacity if settings.desired_capacity is not None else settings.min_size,
            health_check_type="ELB",
            health_check_grace_period=settings.health_check_grace_seconds,
            target_group_arns=[args.target_groups[s].arn for s in sorted(args.target_groups)],
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=90,
                    skip_matching=True,
                    auto_rollback=True,
                    checkpoint_percentages=REFRESH_CHECKPOINTS,
                    checkpoint_delay=str(settings.health_check_grace_seconds * 2),
                    instance_warmup=str(settings.health_check_grace_seconds),
                ),
            ),
            enabled_metrics=["GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize", "GroupMinSize", "GroupTotalInstances"],
            tags=[
                aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=False)
                for k, v in merge_tags(tags, f"showrunner-{args.stack}-{name}").items()
            ],
            **launch,
            # Scaling policies and schedules own the capacity once the group exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCapacity"]),
        )

        # --- draining: a terminating host leaves the target groups and stops its containers -------
        aws.autoscaling.LifecycleHook(
            f"{name}-drain",
            autoscaling_group_name=asg.name,
            lifecycle_transition="autoscaling:EC2_INSTANCE_TERMINATING",
            heartbeat_timeout=drain_timeout(args.drain_seconds),
            default_result="CONTINUE",
            opts=child,
        )

        # --- scaling ---------------------------------------------------------------------------
        aws.autoscaling.Policy(
            f"{name}-cpu",
            autoscaling_group_name=asg.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ASGAverageCPUUtilization"
                ),
                target_value=settings.scaling.cpu_percent,
            ),
            opts=child,
        )
        if settings.scaling.requests_per_target is not None:
            for service_name in sorted(args.target_groups):
                label = pulumi.Output.concat(args.load_balancer_arn_suffix, "/", args.target_groups[service_name].arn_suffix)
                aws.autoscaling.Policy(
                    f"{name}-requests-{service_name}",
                    autoscaling_group_name=asg.name,
                    policy_type="TargetTrackingScaling",
                    target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                        predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                            predefined_metric_type="ALBRequestCountPerTarget", resource_label=label
                        ),
                        target_value=settings.scaling.requests_per_target,
                    ),
                    opts=child,
                )
        for action_name in sorted(settings.scheduled):
            action = settings.scheduled[action_name]
            aws.autoscaling.Schedule(
                f"{name}-{action_name}",
                scheduled_action_name=action_name,
                autoscaling_group_name=asg.name,
                recurrence=action.recurrence,
                time_zone=action.time_zone,
                min_size=action.min_size,
                max_size=action.max_size,
                # -1 leaves desired capacity to the target-tracking policies (the API default is 0).
                desired_capacity=action.desired_capacity if action.desired_capacity is not None else -1,
                opts=child,
            )

        self.role_arn = role.arn
        self.launch_template_id = template.id
        self.group_name = asg.name
        self.register_outputs(
            {"role_arn": self.role_arn, "launch_template_id": self.launch_template_id, "group_name": self.group_name}
        )


def drain_timeout(deregistration_delay: int) -> int:
    """Seconds the terminate hook holds a host: the ALB's drain, then `docker stop`, plus margin.

    Nobody completes the hook early; it expires with CONTINUE. Meanwhile the group has already
    taken the host out of its target groups, and at shutdown systemd stops every unit with
    `docker stop --time 30`.
    """
    return max(30, deregistration_delay + units.STOP_TIMEOUT_SECONDS + 30)


def _volume(device: str, size_gb: int) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
    return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
        device_name=device,
        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
            volume_size=size_gb, volume_type="gp3", encrypted="true", delete_on_termination="true"
        ),
    )
