"""The Application Load Balancer that replaced 2015's nginx upstreams.

HTTPS on 443 with the configured certificate; HTTP on 80 only redirects; anything no rule matches
gets a fixed 404; invalid header fields are dropped. Each routed service gets one target group
(its health check, a deregistration delay, slow start with round robin) and one listener rule,
both from its `LoadBalancerRoute`. An alarm watches the 5xx the load balancer gives itself; the
routes' own alarms belong to the fleet serving them.
"""

import json
from typing import NamedTuple, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from showrunner_components.observability import alarms
from showrunner_components.tagging import merge_tags

__all__ = ["LoadBalancer", "LoadBalancerAlarms", "LoadBalancerArgs", "LoadBalancerRoute"]


class _AccessLogs(NamedTuple):
    bucket: pulumi.Output[str]
    policy: pulumi.Resource

SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only: AWS's recommended policy for public listeners."""
DEFAULT_HEALTH_CHECK_PATH = "/healthz"
DEFAULT_IDLE_TIMEOUT = 60
DEFAULT_DEREGISTRATION_DELAY = 30
DEFAULT_SLOW_START = 30
DEFAULT_ACCESS_LOG_DAYS = 90
ACCESS_LOG_PREFIX = "alb"
# Who writes a load balancer's access logs: in Regions opened before August 2022, Elastic Load
# Balancing's account there; elsewhere its log-delivery service. Source: Elastic Load Balancing User
# Guide, "Enable access logs for your Application Load Balancer", step 2 (bucket policy).
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
    "af-south-1": "098369216593", "ap-east-1": "754344448648", "ap-southeast-3": "589379963580", "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331", "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266", "ap-northeast-1": "582318560864", "ca-central-1": "985666609251",
    "eu-central-1": "054676820928", "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-south-1": "635631232127",
    "eu-west-3": "009996457667", "eu-north-1": "897822967062", "me-south-1": "076674570225", "sa-east-1": "507241528517",
}


def access_log_policy(bucket: str, account: str, region: str, partition: str = "aws", prefix: str = ACCESS_LOG_PREFIX) -> dict:
    """The log bucket's policy: Elastic Load Balancing may put objects under this account's prefix, nothing else."""
    principal = {"AWS": f"arn:{partition}:iam::{ELB_LOG_ACCOUNTS[region]}:root"} if region in ELB_LOG_ACCOUNTS else {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ElbAccessLogs",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}/AWSLogs/{account}/*",
            }
        ],
    }


class LoadBalancerRoute(TypedDict):
    """One routed service: a target group on its port and a listener rule on the HTTPS listener."""

    name: str
    """The service; names its target group and rule (`<load balancer>-<name>`)."""
    port: int
    """The port hosts serve it on; targets register with it."""
    priority: int
    """The listener rule's priority (1-50000, unique on the listener; lower wins)."""
    path_patterns: NotRequired[list[str]]
    """Paths the rule matches (`/api/*`). Give these, `host_headers`, or both. Default: any path."""
    host_headers: NotRequired[list[str]]
    """Host names the rule matches. Default: any host."""
    health_check_path: NotRequired[str]
    """The path probed on the traffic port; only 200 is healthy. Default: /healthz."""


class LoadBalancerAlarms(TypedDict):
    """When the load balancer's own alarm fires."""

    elb_5xx_per_minute: NotRequired[int]
    """5xx the load balancer answers itself (no healthy target, a target timing out) per minute, 3 minutes running. Default: 10."""


class LoadBalancerArgs(TypedDict):
    stack: NotRequired[str]
    """The deployment name: its alarm is `showrunner-<stack>-<name>-elb-5xx`. Default: Pulumi names the alarm."""
    certificate_arn: pulumi.Input[str]
    """The ACM certificate of the HTTPS listener."""
    vpc_id: pulumi.Input[str]
    """The VPC of the security group and the target groups."""
    subnet_ids: pulumi.Input[list[str]]
    """Public subnets, two zones or more."""
    routes: NotRequired[list[LoadBalancerRoute]]
    """The routed services. Default: none; every request gets the 404."""
    idle_timeout: NotRequired[int]
    """Seconds a connection may stay idle. Default: 60."""
    deregistration_delay: NotRequired[int]
    """Seconds a leaving target keeps its requests (draining). Default: 30."""
    slow_start: NotRequired[int]
    """Seconds over which a new target's share of requests ramps up; 0 turns it off. Default: 30."""
    deletion_protection: NotRequired[bool]
    """The load balancer cannot be deleted (nor replaced) until this is turned off. Default: off."""
    access_logs_bucket_prefix: NotRequired[str]
    """Write access logs to a new bucket named `<prefix>-<account id>` (bucket names are global):
    public access blocked, S3-managed encryption, objects expiring after `access_logs_days`, writable
    only by Elastic Load Balancing's log delivery. Default: no access logs."""
    access_logs_days: NotRequired[int]
    """Days access logs are kept. Default: 90."""
    alarm_actions: NotRequired[pulumi.Input[list[str]]]
    """What its alarm notifies (`Alerts.topic_arn`) when it fires and recovers. Default: none."""
    alarms: NotRequired[LoadBalancerAlarms]
    """Threshold. Default: as `LoadBalancerAlarms` says."""
    tags: NotRequired[dict[str, str]]
    """Tags on every resource, before `Name` and `Service`. Default: none."""


def rule_conditions(route: LoadBalancerRoute) -> list[dict]:
    """The listener rule's conditions (as the ALB API spells them): host headers, then path patterns."""
    conditions = []
    if route.get("host_headers"):
        conditions.append({"host_header": {"values": list(route["host_headers"])}})
    if route.get("path_patterns"):
        conditions.append({"path_pattern": {"values": list(route["path_patterns"])}})
    return conditions


def health_check(route: LoadBalancerRoute) -> dict:
    """Probe the route's health path on the port the target registered with; only 200 is healthy."""
    return {
        "enabled": True,
        "path": route.get("health_check_path", DEFAULT_HEALTH_CHECK_PATH),
        "port": "traffic-port",
        "protocol": "HTTP",
        "matcher": "200",
        "interval": 10,
        "timeout": 5,
        "healthy_threshold": 2,
        "unhealthy_threshold": 3,
    }


def _check(name: str, routes: list[LoadBalancerRoute]) -> None:
    names = [route["name"] for route in routes]
    if len(set(names)) != len(names):
        raise ValueError(f"load balancer {name}: a route name is given twice ({', '.join(names)})")
    seen: dict[int, str] = {}
    for route in routes:
        if not rule_conditions(route):
            raise ValueError(f'load balancer {name}: route "{route["name"]}" needs path_patterns or host_headers')
        if route["priority"] in seen:
            raise ValueError(f'load balancer {name}: routes "{seen[route["priority"]]}" and "{route["name"]}" share priority {route["priority"]}')
        seen[route["priority"]] = route["name"]


class LoadBalancer(pulumi.ComponentResource):
    """An internet-facing ALB: HTTPS with the certificate, HTTP redirected, 404 unless a route matches.

    A Python program also gets `target_groups` (route name → its `aws.lb.TargetGroup`): what reads
    one route's `arn` or `arn_suffix` there depends on that route's group only, where a value read
    out of `target_group_arns` depends on every route's group (an Output carries the resources of
    the whole map).
    """

    arn: pulumi.Output[str]
    """The load balancer's ARN."""
    arn_suffix: pulumi.Output[str]
    """`app/<name>/<id>`, what CloudWatch metrics and request-count scaling name it by."""
    dns_name: pulumi.Output[str]
    """The name to point DNS at."""
    security_group_id: pulumi.Output[str]
    """Its security group; fleets add their own egress rule to it, per routed port."""
    target_group_arns: pulumi.Output[dict[str, str]]
    """Route name → its target group's ARN; a fleet registers its hosts there."""
    target_group_arn_suffixes: pulumi.Output[dict[str, str]]
    """Route name → `targetgroup/<name>/<id>`, for request-count scaling and the routes' alarms."""
    access_log_bucket: pulumi.Output[str]
    """The access logs' bucket, objects under `alb/AWSLogs/<account>/`; empty without access logs."""
    alarm_arns: pulumi.Output[list[str]]
    """Its own alarm (the 5xx it gives itself)."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        routes = sorted(args.get("routes", []), key=lambda route: route["name"])
        _check(name, routes)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:load_balancer:LoadBalancer")]))
        super().__init__("showrunner:index:LoadBalancer", name, None, opts)
        tags = merge_tags(args.get("tags", {}), None, Service="load-balancer")
        group = self._security_group(name, args, tags)
        logs = self._access_logs(name, args, tags) if "access_logs_bucket_prefix" in args else None
        balancer, https = self._balancer(name, args, group, tags, logs)
        target_groups = {route["name"]: self._route(name, args, route, https) for route in routes}
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-elb-5xx",
            **alarms.load_balancer_5xx(
                f"showrunner-{args['stack']}-{name}-elb-5xx" if "stack" in args else None,
                balancer.arn_suffix,
                args.get("alarms", {}).get("elb_5xx_per_minute", alarms.LOAD_BALANCER_5XX_PER_MINUTE),
            ),
            **alarms.actions(args.get("alarm_actions", [])),
            tags=merge_tags(tags, f"{name}-alarm-elb-5xx"),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.arn = balancer.arn
        self.arn_suffix = balancer.arn_suffix
        self.dns_name = balancer.dns_name
        self.security_group_id = group.id
        self.target_groups = target_groups
        self.target_group_arns = pulumi.Output.from_input({n: tg.arn for n, tg in target_groups.items()})
        self.target_group_arn_suffixes = pulumi.Output.from_input({n: tg.arn_suffix for n, tg in target_groups.items()})
        self.access_log_bucket = logs.bucket if logs is not None else pulumi.Output.from_input("")
        self.alarm_arns = pulumi.Output.all(alarm.arn)
        self.register_outputs(
            {
                "access_log_bucket": self.access_log_bucket,
                "alarm_arns": self.alarm_arns,
                "arn": self.arn,
                "arn_suffix": self.arn_suffix,
                "dns_name": self.dns_name,
                "security_group_id": self.security_group_id,
                "target_group_arns": self.target_group_arns,
                "target_group_arn_suffixes": self.target_group_arn_suffixes,
            }
        )

    def _security_group(self, name: str, args: LoadBalancerArgs, tags: dict[str, str]) -> aws.ec2.SecurityGroup:
        """HTTP and HTTPS from anywhere, IPv4 and IPv6; egress is added per fleet and port, by `Fleet`."""
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args["vpc_id"],
            description="showrunner load balancer: HTTP and HTTPS from the internet",
            tags=merge_tags(tags, f"{name}-sg"),
            opts=child,
        )
        for port in (80, 443):
            for family, block in (("cidr_ipv4", "0.0.0.0/0"), ("cidr_ipv6", "::/0")):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-sg-in-{port}-{'v4' if family == 'cidr_ipv4' else 'v6'}",
                    security_group_id=group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"{port} from the internet",
                    **{family: block},
                    opts=child,
                )
        return group

    def _access_logs(self, name: str, args: LoadBalancerArgs, tags: dict[str, str]):
        """The access-log bucket: private, encrypted by S3, expiring, and writable by ELB's log delivery only."""
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        bucket_name = account.apply(lambda a: f"{args['access_logs_bucket_prefix']}-{a}")
        bucket = aws.s3.Bucket(f"{name}-access-logs", bucket=bucket_name, tags=merge_tags(tags, f"{name}-access-logs"), opts=child)
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-access-logs-public-access", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-expiry",
            bucket=bucket.id,
            rules=[{"id": "expire-access-logs", "status": "Enabled", "filter": {"prefix": f"{ACCESS_LOG_PREFIX}/"},
                    "expiration": {"days": args.get("access_logs_days", DEFAULT_ACCESS_LOG_DAYS)}}],
            opts=child,
        )
        document = pulumi.Output.all(
            bucket_name,
            account,
            aws.get_region_output(opts=invoke).region,
            aws.get_partition_output(opts=invoke).partition,
        ).apply(lambda v: json.dumps(access_log_policy(v[0], v[1], v[2], v[3])))
        policy = aws.s3.BucketPolicy(f"{name}-access-logs-policy", bucket=bucket.id, policy=document,
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=[block]))
        return _AccessLogs(bucket.bucket, policy)

    def _balancer(self, name: str, args: LoadBalancerArgs, group, tags: dict[str, str], logs: "_AccessLogs | None") -> tuple[aws.lb.LoadBalancer, aws.lb.Listener]:
        """The ALB, its HTTPS listener (404 by default) and the HTTP listener that only redirects."""
        child = pulumi.ResourceOptions(parent=self)
        balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=args["subnet_ids"],
            security_groups=[group.id],
            idle_timeout=args.get("idle_timeout", DEFAULT_IDLE_TIMEOUT),
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.get("deletion_protection", False),
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.bucket, prefix=ACCESS_LOG_PREFIX, enabled=True) if logs else None,
            tags=merge_tags(tags, f"{name}-alb"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs.policy] if logs else []),
        )
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=SSL_POLICY,
            certificate_arn=args["certificate_arn"],
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="text/plain", message_body="not found", status_code="404"
                    ),
                )
            ],
            tags=merge_tags(tags, f"{name}-https"),
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(port="443", protocol="HTTPS", status_code="HTTP_301"),
                )
            ],
            tags=merge_tags(tags, f"{name}-http"),
            opts=child,
        )
        return balancer, https

    def _route(self, name: str, args: LoadBalancerArgs, route: LoadBalancerRoute, https: aws.lb.Listener) -> aws.lb.TargetGroup:
        """The route's target group (slow start, round robin, its health check) and its listener rule."""
        child = pulumi.ResourceOptions(parent=self)
        route_tags = merge_tags(args.get("tags", {}), f"{name}-{route['name']}", Service=route["name"])
        target_group = aws.lb.TargetGroup(
            f"{name}-{route['name']}",
            port=route["port"],
            protocol="HTTP",
            target_type="instance",
            vpc_id=args["vpc_id"],
            deregistration_delay=args.get("deregistration_delay", DEFAULT_DEREGISTRATION_DELAY),
            slow_start=args.get("slow_start", DEFAULT_SLOW_START),
            # Slow start works only with round robin; it lets a fresh gunicorn warm up.
            load_balancing_algorithm_type="round_robin",
            health_check=aws.lb.TargetGroupHealthCheckArgs(**health_check(route)),
            tags=route_tags,
            opts=child,
        )
        aws.lb.ListenerRule(
            f"{name}-{route['name']}",
            listener_arn=https.arn,
            priority=route["priority"],
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group.arn)],
            conditions=[aws.lb.ListenerRuleConditionArgs(**_condition_args(c)) for c in rule_conditions(route)],
            tags=route_tags,
            opts=child,
        )
        return target_group


def _condition_args(condition: dict) -> dict:
    if "host_header" in condition:
        return {"host_header": aws.lb.ListenerRuleConditionHostHeaderArgs(values=condition["host_header"]["values"])}
    return {"path_pattern": aws.lb.ListenerRuleConditionPathPatternArgs(values=condition["path_pattern"]["values"])}
