"""One fleet: its instance role, launch template, Auto Scaling group, scaling and draining.

Replaces 2015's hand-tuned autoscaling and Chef-converged hosts. The host's whole job is rendered by
`showrunner_components.fleet.cloud_config` into the launch template's `#cloud-config`; this
component only turns its Args and the pure builders' results into resources. See README.md
beside this file.

Instance metadata: IMDSv2 is required and the PUT response hop limit is 1 by default. Containers
run on Docker's bridge network (`--publish`), one hop further than the host, so they cannot get a
token and cannot borrow the instance role: only host processes (the secrets fetcher, the Docker
engine's ECR login, the CloudWatch agent) use it. `http_put_response_hop_limit: 2` is for fleets
whose containers call AWS themselves (this program: those using SQS queues or DynamoDB tables).
"""

import pulumi
import pulumi_aws as aws

from showrunner_components.aws import ROOT_DEVICE, ec2_trust_policy, ecr_registry
from showrunner_components.fleet import cloud_config, iam, units
from showrunner_components.image_pipeline.builds import ecr_registry_of
from showrunner_components.fleet.args import (
    FleetAlarms,
    FleetArgs,
    FleetPeerSecurityGroup,
    FleetScheduledAction,
    FleetService,
    FleetSpot,
    FleetWarmPool,
)
from showrunner_components.observability import alarms
from showrunner_components.tagging import merge_tags

__all__ = [
    "Fleet", "FleetAlarms", "FleetArgs", "FleetPeerSecurityGroup", "FleetScheduledAction", "FleetService", "FleetSpot", "FleetWarmPool",
]

METADATA_HOP_LIMIT = 1
"""IMDSv2's PUT response hop limit by default: containers on the bridge network, one hop further
than the host, cannot reach the instance role."""
DEFAULTS = {
    "cpu_target_percent": 50.0,
    "root_volume_size": 16,
    "data_volume_size": 60,
    "health_check_grace_period": 180,
    "min_free_mb": units.DEFAULT_MIN_FREE_MB,
    "start_deadline_seconds": units.DEFAULT_START_DEADLINE_S,
    "deregistration_delay": 30,
    "http_put_response_hop_limit": METADATA_HOP_LIMIT,
    "log_retention_days": 30,
}
"""What each optional scalar of `FleetArgs` is when left out (the docstrings there say why)."""
DATA_DEVICE = "/dev/xvdb"  # formatted with label docker-data on first boot, mounted at /mnt/docker
METRIC_NAMESPACES = (alarms.HOST_NAMESPACE,)  # the golden image's showrunner-disk-usage and showrunner-clock-offset; nothing else publishes
ALARM_DEFAULTS: FleetAlarms = {
    "target_5xx_percent": alarms.TARGET_5XX_PERCENT,
    "unhealthy_hosts": alarms.UNHEALTHY_HOSTS,
    "p99_response_seconds": alarms.P99_RESPONSE_SECONDS,
    "disk_used_percent": alarms.DISK_USED_PERCENT,
    "clock_offset_seconds": alarms.CLOCK_OFFSET_SECONDS,
}
REFRESH_CHECKPOINTS = [50, 100]
"""Pause after half of the fleet is replaced, so alarms can trigger the auto-rollback."""
ROUTING_KEYS = ("target_group_arn", "target_group_arn_suffix")
"""What of a `FleetService` only the group uses; the hosts never see it."""


def check_args(name: str, args: FleetArgs) -> None:
    """Refuse what AWS or the hosts would refuse later, naming the fleet and the field."""
    try:
        names = [service["name"] for service in args["services"]]
        for service in args["services"]:
            units.check_service(service["name"], service["type"], service.get("schedule"))
            if "target_group_arn" in service:
                units.host_port(service["name"], service.get("ports", []))
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"services {', '.join(duplicates)} are given twice")
        if not args["instance_types"]:
            raise ValueError("instance_types is empty")
        if "spot" in args and "warm_pool" in args:
            raise ValueError("spot and warm_pool cannot be combined (AWS refuses warm pools on mixed-instance groups)")
        if "warm_pool" in args and len(args["instance_types"]) > 1:
            raise ValueError("warm_pool needs exactly one instance type (AWS refuses warm pools on mixed-instance groups)")
        if not args["min_size"] <= args.get("desired_capacity", args["min_size"]) <= args["max_size"]:
            raise ValueError("needs min_size <= desired_capacity <= max_size")
        routed = [s["name"] for s in args["services"] if "target_group_arn" in s]
        if routed and "load_balancer_security_group_id" not in args:
            raise ValueError(f"routed services ({', '.join(routed)}) need load_balancer_security_group_id")
        if routed and "requests_per_target" in args:
            unlabelled = [s["name"] for s in args["services"] if "target_group_arn" in s and "target_group_arn_suffix" not in s]
            if "load_balancer_arn_suffix" not in args or unlabelled:
                raise ValueError("requests_per_target needs load_balancer_arn_suffix and each routed service's target_group_arn_suffix")
    except ValueError as error:
        raise ValueError(f"fleet {name}: {error}") from None


class Fleet(pulumi.ComponentResource):
    """An Auto Scaling group of Docker hosts: its instance role, launch template, scaling and draining."""

    role_arn: pulumi.Output[str]
    """The instance role: what a deploy role must be allowed to pass."""
    launch_template_id: pulumi.Output[str]
    """The launch template; each change makes a version and a rolling instance refresh."""
    group_name: pulumi.Output[str]
    """The Auto Scaling group's name."""
    user_data: pulumi.Output[str]
    """The hosts' `#cloud-config`, as text (the template carries it base64, gzipped over 16 KB)."""
    alarm_arns: pulumi.Output[list[str]]
    """Every alarm of the fleet (for a dashboard's alarm row)."""
    refresh_alarm_names: pulumi.Output[list[str]]
    """The alarms its instance refresh names (the routed services'); empty for a fleet with no routed service."""
    log_group_names: pulumi.Output[dict[str, str]]
    """Service → the log group its containers write to."""

    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None):
        check_args(name, args)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:fleet:Fleet")]))
        super().__init__("showrunner:index:Fleet", name, None, opts)
        self._name = name
        self._args = {**DEFAULTS, **args}
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags = merge_tags(args.get("tags", {}), None, Service=f"fleet-{name}", Fleet=name)
        self._routed = sorted((s for s in args["services"] if "target_group_arn" in s), key=lambda s: s["name"])
        self._thresholds = {**ALARM_DEFAULTS, **args.get("alarms", {})}
        self._alarm_options = alarms.actions(args.get("alarm_actions", []))

        invoke = pulumi.InvokeOptions(parent=self)
        aws_partition = aws.get_partition_output(opts=invoke)
        partition = aws_partition.partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        role, profile, log_groups = self._identity(partition, region, account)
        group = self._security_group()
        self._peers(group)
        self.user_data = self._user_data(region, account, aws_partition.dns_suffix)
        template = self._launch_template(profile, group)
        service_alarms = self._service_alarms()
        asg = self._group(template, service_alarms, log_groups)
        host_alarms = self._host_alarms(asg)
        self._draining(asg)
        self._scaling(asg)

        self.role_arn = role.arn
        self.launch_template_id = template.id
        self.group_name = asg.name
        self.alarm_arns = pulumi.Output.all(*(a.arn for a in [*service_alarms, *host_alarms]))
        self.refresh_alarm_names = pulumi.Output.all(*(a.name for a in service_alarms)) if service_alarms else pulumi.Output.from_input([])
        self.log_group_names = pulumi.Output.from_input({service: log.name for service, log in log_groups.items()})
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "launch_template_id": self.launch_template_id,
                "group_name": self.group_name,
                "user_data": self.user_data,
                "alarm_arns": self.alarm_arns,
                "refresh_alarm_names": self.refresh_alarm_names,
                "log_group_names": self.log_group_names,
            }
        )

    # --- identity: one role per fleet, so a host reads only its own services' secrets ----------

    def _identity(self, partition, region, account) -> tuple[aws.iam.Role, aws.iam.InstanceProfile, dict[str, aws.cloudwatch.LogGroup]]:
        name, args, child, tags = self._name, self._args, self._child, self._tags
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=partition.apply(lambda p: iam.to_json(ec2_trust_policy(p))),
            description=f"showrunner {args['stack']} fleet {name} hosts",
            permissions_boundary=args.get("permissions_boundary"),
            tags=merge_tags(tags, f"{name}-role"),
            opts=child,
        )
        services = sorted(s["name"] for s in args["services"])
        policy = pulumi.Output.all(
            partition,
            region,
            account,
            args["secrets_key_arn"],
            pulumi.Output.from_input(args.get("repository_arns", [])),
            pulumi.Output.from_input(args.get("additional_role_statements", [])),
        ).apply(
            lambda v: iam.to_json(
                iam.instance_role_policy(
                    partition=v[0],
                    region=v[1],
                    account=v[2],
                    stack=args["stack"],
                    fleet=name,
                    services=services,
                    repository_arns=v[4],
                    secrets_key_arn=v[3],
                    metric_namespaces=METRIC_NAMESPACES,
                    additional_statements=v[5],
                )
            )
        )
        aws.iam.RolePolicy(f"{name}-role-policy", role=role.id, policy=policy, opts=child)
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, tags=merge_tags(tags, f"{name}-profile"), opts=child)
        return role, profile, self._log_groups(services)

    def _log_groups(self, services: list[str]) -> dict[str, aws.cloudwatch.LogGroup]:
        """The hosts' log group, and one per service that Docker's awslogs driver writes to."""
        name, args = self._name, self._args

        def log_group(resource: str, group: str) -> aws.cloudwatch.LogGroup:
            return aws.cloudwatch.LogGroup(
                resource,
                name=group,
                retention_in_days=args["log_retention_days"],
                kms_key_id=args.get("log_kms_key_arn"),
                tags=merge_tags(self._tags, resource),
                opts=self._child,
            )

        log_group(f"{name}-logs", iam.log_group_name(args["stack"], name))
        return {service: log_group(f"{name}-logs-{service}", iam.log_group_name(args["stack"], name, service)) for service in services}

    # --- network: traffic only from the load balancer, only on routed ports ----------------------

    def _security_group(self) -> aws.ec2.SecurityGroup:
        name, args, child = self._name, self._args, self._child
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args["vpc_id"],
            description=f"showrunner fleet {name}: service ports from the load balancer only; no SSH",
            tags=merge_tags(self._tags, f"{name}-sg"),
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
        for service in self._routed:
            service_name = service["name"]
            port = units.host_port(service_name, service["ports"])
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-sg-in-{service_name}",
                security_group_id=group.id,
                referenced_security_group_id=args["load_balancer_security_group_id"],
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{service_name} from the load balancer",
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-alb-out-{service_name}",
                security_group_id=args["load_balancer_security_group_id"],
                referenced_security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"to fleet {name}, service {service_name}",
                opts=child,
            )
        return group

    def _peers(self, group: aws.ec2.SecurityGroup) -> None:
        """Each peer group (a store's) admits this fleet on its port, and nothing wider."""
        name = self._name
        for peer in self._args.get("peer_security_groups", []):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-sg-to-{peer['name']}",
                security_group_id=peer["security_group_id"],
                referenced_security_group_id=group.id,
                ip_protocol="tcp",
                from_port=peer["port"],
                to_port=peer["port"],
                description=f"{peer['name']} from fleet {name}",
                opts=self._child,
            )

    # --- launch template -----------------------------------------------------------------------

    def _user_data(self, region, account, dns_suffix) -> pulumi.Output[str]:
        """The `#cloud-config`, rendered once every service's image, environment and references resolved."""
        args = self._args
        specs = [{k: v for k, v in service.items() if k not in ROUTING_KEYS} for service in args["services"]]
        return pulumi.Output.all(region, pulumi.Output.from_input(specs), account, dns_suffix).apply(
            lambda v: cloud_config.render_cloud_config(
                args["stack"],
                v[0],
                [units.HostService.from_spec(spec) for spec in v[1]],
                fleet=self._name,
                min_free_mb=args["min_free_mb"],
                start_deadline_s=args["start_deadline_seconds"],
                logging=units.HostLogging(region=v[0], group_prefix=iam.log_group_name(args["stack"], self._name)),
                ecr_registries=_registries_beyond_own([spec["image"] for spec in v[1]], ecr_registry(v[2], v[0], v[3])),
            )
        )

    def _mixed(self) -> bool:
        args = self._args
        return "warm_pool" not in args and ("spot" in args or len(args["instance_types"]) > 1)

    def _launch_template(self, profile: aws.iam.InstanceProfile, group: aws.ec2.SecurityGroup) -> aws.ec2.LaunchTemplate:
        name, args, tags = self._name, self._args, self._tags
        return aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"showrunner {args['stack']} fleet {name}",
            image_id=args["image_id"],
            instance_type=None if self._mixed() else args["instance_types"][0],
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            vpc_security_group_ids=[group.id],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=args["http_put_response_hop_limit"],
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                _volume(ROOT_DEVICE, args["root_volume_size"]),
                _volume(DATA_DEVICE, args["data_volume_size"]),
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            user_data=self.user_data.apply(lambda text: cloud_config.user_data_base64(text, name)),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=merge_tags(tags, f"showrunner-{args['stack']}-{name}"))
                for kind in ("instance", "volume")
            ],
            tags=merge_tags(tags, f"{name}-lt"),
            opts=self._child,
        )

    # --- Auto Scaling group ----------------------------------------------------------------------

    def _launch(self, template: aws.ec2.LaunchTemplate) -> dict:
        """How the group launches: the template alone, or a mixed-instances policy; and a warm pool."""
        args = self._args
        # A concrete version, not "$Latest": each new template version changes the group, which
        # starts an instance refresh, and auto-rollback refuses "$Latest".
        version = template.latest_version.apply(str)
        launch = {}
        if self._mixed():
            spot = args.get("spot")
            launch["mixed_instances_policy"] = aws.autoscaling.GroupMixedInstancesPolicyArgs(
                instances_distribution=aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
                    on_demand_base_capacity=spot.get("on_demand_base_capacity", 0) if spot is not None else 0,
                    on_demand_percentage_above_base_capacity=spot.get("on_demand_percentage_above_base_capacity", 0) if spot is not None else 100,
                    spot_allocation_strategy="price-capacity-optimized",
                ),
                launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
                    launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                        launch_template_id=template.id, version=version
                    ),
                    overrides=[
                        aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=t) for t in args["instance_types"]
                    ],
                ),
            )
        else:
            launch["launch_template"] = aws.autoscaling.GroupLaunchTemplateArgs(id=template.id, version=version)
        if "warm_pool" in args:
            pool = args["warm_pool"]
            launch["warm_pool"] = aws.autoscaling.GroupWarmPoolArgs(
                pool_state=pool.get("pool_state", "Stopped"),
                min_size=pool.get("min_size", 0),
                max_group_prepared_capacity=pool.get("max_group_prepared_capacity"),
            )
        return launch

    # --- alarms: the routed services' gate the instance refresh; the hosts' only notify --------

    def _alarm(self, resource: str, spec: dict) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            resource, **spec, **self._alarm_options, tags=merge_tags(self._tags, spec["name"]), opts=self._child
        )

    def _service_alarms(self) -> list[aws.cloudwatch.MetricAlarm]:
        """Per routed service: its 5xx rate, unhealthy hosts and p99, on its target group (whose ARN
        suffix, and the load balancer's, are the alarms' dimensions: a service without them has none)."""
        name, args, limits = self._name, self._args, self._thresholds
        prefix = f"showrunner-{args['stack']}"
        made = []
        if "load_balancer_arn_suffix" not in args:
            return made
        for service in (s for s in self._routed if "target_group_arn_suffix" in s):
            service_name, balancer, target_group = service["name"], args["load_balancer_arn_suffix"], service["target_group_arn_suffix"]
            for suffix, spec in (
                ("5xx", alarms.target_5xx_rate(f"{prefix}-{service_name}-5xx", balancer, target_group, limits["target_5xx_percent"])),
                ("unhealthy-hosts", alarms.unhealthy_hosts(f"{prefix}-{service_name}-unhealthy-hosts", balancer, target_group, limits["unhealthy_hosts"])),
                ("p99", alarms.target_p99(f"{prefix}-{service_name}-p99", balancer, target_group, limits["p99_response_seconds"])),
            ):
                made.append(self._alarm(f"{name}-alarm-{service_name}-{suffix}", spec))
        return made

    def _host_alarms(self, asg: aws.autoscaling.Group) -> list[aws.cloudwatch.MetricAlarm]:
        """The fleet's fullest disk, its most-drifted clock and its hosts' status checks."""
        name, stack = self._name, self._args["stack"]
        return [
            self._alarm(f"{name}-alarm-disk", alarms.disk_used(f"showrunner-{stack}-{name}-disk", stack, name, self._thresholds["disk_used_percent"])),
            self._alarm(f"{name}-alarm-clock", alarms.clock_offset(f"showrunner-{stack}-{name}-clock", stack, name, self._thresholds["clock_offset_seconds"])),
            self._alarm(f"{name}-alarm-status-check", alarms.status_check(f"showrunner-{stack}-{name}-status-check", asg.name)),
        ]

    def _group(self, template: aws.ec2.LaunchTemplate, service_alarms: list[aws.cloudwatch.MetricAlarm], log_groups: dict) -> aws.autoscaling.Group:
        """The group; its instance refresh fails (and rolls back) when a routed service's alarm fires.

        It waits for the log groups, so no host starts before its containers' groups exist.
        """
        name, args = self._name, self._args
        grace = args["health_check_grace_period"]
        gate = (
            aws.autoscaling.GroupInstanceRefreshPreferencesAlarmSpecificationArgs(alarms=[alarm.name for alarm in service_alarms])
            if service_alarms
            else None
        )
        return aws.autoscaling.Group(
            f"{name}-asg",
            vpc_zone_identifiers=args["subnet_ids"],
            min_size=args["min_size"],
            max_size=args["max_size"],
            desired_capacity=args.get("desired_capacity", args["min_size"]),
            # ELB health checks need a target group to come from; a group no load balancer serves
            # has only EC2 status checks, so it says so.
            health_check_type="ELB" if self._routed else "EC2",
            health_check_grace_period=grace,
            target_group_arns=[s["target_group_arn"] for s in self._routed],
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=90,
                    skip_matching=True,
                    auto_rollback=True,
                    checkpoint_percentages=REFRESH_CHECKPOINTS,
                    checkpoint_delay=str(grace * 2),
                    instance_warmup=str(grace),
                    alarm_specification=gate,
                ),
            ),
            enabled_metrics=["GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize", "GroupMinSize", "GroupTotalInstances"],
            tags=[
                aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=False)
                for k, v in merge_tags(self._tags, iam.group_name_tag(args["stack"], name)).items()
            ],
            **self._launch(template),
            # Scaling policies and schedules own the capacity once the group exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCapacity"], depends_on=list(log_groups.values())),
        )

    # --- draining: a terminating host leaves the target groups and stops its containers --------

    def _draining(self, asg: aws.autoscaling.Group) -> None:
        aws.autoscaling.LifecycleHook(
            f"{self._name}-drain",
            autoscaling_group_name=asg.name,
            lifecycle_transition="autoscaling:EC2_INSTANCE_TERMINATING",
            heartbeat_timeout=drain_timeout(self._args["deregistration_delay"]),
            default_result="CONTINUE",
            opts=self._child,
        )

    # --- scaling -----------------------------------------------------------------------------------

    def _scaling(self, asg: aws.autoscaling.Group) -> None:
        """Target tracking on CPU (and requests per target for routed services), then the schedules."""
        name, args, child = self._name, self._args, self._child
        aws.autoscaling.Policy(
            f"{name}-cpu",
            autoscaling_group_name=asg.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ASGAverageCPUUtilization"
                ),
                target_value=args["cpu_target_percent"],
            ),
            opts=child,
        )
        if "requests_per_target" in args:
            for service in self._routed:
                label = pulumi.Output.concat(args["load_balancer_arn_suffix"], "/", service["target_group_arn_suffix"])
                aws.autoscaling.Policy(
                    f"{name}-requests-{service['name']}",
                    autoscaling_group_name=asg.name,
                    policy_type="TargetTrackingScaling",
                    target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                        predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                            predefined_metric_type="ALBRequestCountPerTarget", resource_label=label
                        ),
                        target_value=args["requests_per_target"],
                    ),
                    opts=child,
                )
        for action in sorted(args.get("scheduled_actions", []), key=lambda a: a["name"]):
            aws.autoscaling.Schedule(
                f"{name}-{action['name']}",
                scheduled_action_name=action["name"],
                autoscaling_group_name=asg.name,
                recurrence=action["recurrence"],
                time_zone=action.get("time_zone", "UTC"),
                min_size=action["min_size"],
                max_size=action["max_size"],
                # -1 leaves desired capacity to the target-tracking policies (the API default is 0).
                desired_capacity=action.get("desired_capacity", -1),
                opts=child,
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


def _registries_beyond_own(images: list[str], own: str) -> list[str]:
    """Every private ECR registry the images come from, own included, when one is not the account's
    own registry in this region (the one the golden image already names); otherwise none."""
    registries = {registry for registry in map(ecr_registry_of, images) if registry is not None}
    return sorted(registries | {own}) if registries - {own} else []
