"""The Application Load Balancer that replaced 2015's nginx upstreams.

HTTPS on 443 with the configured certificate; HTTP on 80 only redirects; anything no rule matches
gets a fixed 404. Each routed service gets one target group (its health check, a deregistration
delay, slow start with round robin) and one listener rule built from its `route`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from showrunner.config.models import LoadBalancer as LoadBalancerSettings
from showrunner.config.models import Service
from showrunner_components.tagging import merge_tags

SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only: AWS's recommended policy for public listeners."""


def rule_conditions(service: Service) -> list[dict]:
    """The listener rule's conditions (as the ALB API spells them) from a service's `route`."""
    route = service.route
    if route is None:
        return []
    conditions = []
    if route.hosts:
        conditions.append({"host_header": {"values": list(route.hosts)}})
    if route.paths:
        conditions.append({"path_pattern": {"values": list(route.paths)}})
    return conditions


def health_check(service: Service) -> dict:
    """Probe the service's health path on the port the target registered with; only 200 is healthy."""
    return {
        "enabled": True,
        "path": service.health,
        "port": "traffic-port",
        "protocol": "HTTP",
        "matcher": "200",
        "interval": 10,
        "timeout": 5,
        "healthy_threshold": 2,
        "unhealthy_threshold": 3,
    }


@dataclass
class LoadBalancerArgs:
    settings: LoadBalancerSettings
    services: dict[str, Service]
    """Every service of the stack; those with a `route` get a target group and a rule."""
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    tags: dict[str, str] = field(default_factory=dict)


class LoadBalancer(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    target_groups: dict[str, aws.lb.TargetGroup]

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:load_balancer:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        tags = merge_tags(args.tags, None, Service="load-balancer")

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
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
        # Egress to hosts is added per fleet and port, by `Fleet`, to its own security group only.

        balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=args.public_subnet_ids,
            security_groups=[group.id],
            idle_timeout=settings.idle_timeout_seconds,
            drop_invalid_header_fields=True,
            tags=merge_tags(tags, f"{name}-alb"),
            opts=child,
        )
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=SSL_POLICY,
            certificate_arn=settings.certificate_arn,
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

        self.target_groups = {}
        for service_name in sorted(args.services):
            service = args.services[service_name]
            if service.route is None:
                continue
            target_group = aws.lb.TargetGroup(
                f"{name}-{service_name}",
                port=service.host_ports[0],
                protocol="HTTP",
                target_type="instance",
                vpc_id=args.vpc_id,
                deregistration_delay=settings.deregistration_delay_seconds,
                slow_start=settings.slow_start_seconds,
                # Slow start works only with round robin; it lets a fresh gunicorn warm up.
                load_balancing_algorithm_type="round_robin",
                health_check=aws.lb.TargetGroupHealthCheckArgs(**health_check(service)),
                tags=merge_tags(args.tags, f"{name}-{service_name}", Service=service_name),
                opts=child,
            )
            aws.lb.ListenerRule(
                f"{name}-{service_name}",
                listener_arn=https.arn,
                priority=service.route.priority,
                actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group.arn)],
                conditions=[aws.lb.ListenerRuleConditionArgs(**_condition_args(c)) for c in rule_conditions(service)],
                tags=merge_tags(args.tags, f"{name}-{service_name}", Service=service_name),
                opts=child,
            )
            self.target_groups[service_name] = target_group

        self.arn = balancer.arn
        self.arn_suffix = balancer.arn_suffix
        self.dns_name = balancer.dns_name
        self.security_group_id = group.id
        self.register_outputs(
            {
                "arn": self.arn,
                "dns_name": self.dns_name,
                "security_group_id": self.security_group_id,
                "target_group_arns": {n: tg.arn for n, tg in self.target_groups.items()},
            }
        )


def _condition_args(condition: dict) -> dict:
    if "host_header" in condition:
        return {"host_header": aws.lb.ListenerRuleConditionHostHeaderArgs(values=condition["host_header"]["values"])}
    return {"path_pattern": aws.lb.ListenerRuleConditionPathPatternArgs(values=condition["path_pattern"]["values"])}
