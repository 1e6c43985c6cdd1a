"""statuspage: a status page for a platform's health endpoints, built from showrunner's components.

Its Go image (images/statuspage) goes through an ImagePipeline, a LoadBalancer answers its host
name, and a small Fleet runs it, in a VPC that already exists; their alarms tell `alert_email`
through its own Alerts topic. It reads only its own config and imports only the installed
`showrunner_components`, as another team's program would.
"""

import pulumi
import pulumi_aws as aws

from showrunner_components.fleet import Fleet, FleetArgs, FleetService
from showrunner_components.image_pipeline import ImagePipeline, ImagePipelineArgs, PipelineImage
from showrunner_components.load_balancer import LoadBalancer, LoadBalancerArgs, LoadBalancerRoute
from showrunner_components.observability import Alerts, AlertsArgs

SERVICE = "statuspage"
PORT = 8080

config = pulumi.Config()
stack = pulumi.get_stack()
hostname = config.require("hostname")
hosts = config.require_object("hosts")
checks: dict[str, str] = config.require_object("checks")
tags = {"Environment": stack, "ManagedBy": "pulumi", "Product": SERVICE}

alerts = Alerts("alerts", AlertsArgs(
    stack=f"{SERVICE}-{stack}",
    subscriptions=[{"protocol": "email", "endpoint": config.require("alert_email")}],
    tags=tags,
))
alarm_actions = [alerts.topic_arn]

images = ImagePipeline("images", ImagePipelineArgs(
    repository_prefix=f"{SERVICE}/{stack}",
    # Relative to this folder: the working directory under the Pulumi CLI, where Docker resolves it.
    images=[PipelineImage(name=SERVICE, context=f"images/{SERVICE}")],
    tags=tags,
))

web = LoadBalancer("web", LoadBalancerArgs(
    certificate_arn=config.require("certificate_arn"),
    vpc_id=config.require("vpc_id"),
    subnet_ids=config.require_object("public_subnet_ids"),
    routes=[LoadBalancerRoute(name=SERVICE, port=PORT, priority=10, host_headers=[hostname])],
    # The only stack is prod: the load balancer is kept, and logged (the policy pack requires both).
    deletion_protection=True,
    access_logs_bucket_prefix=f"{SERVICE}-{stack}-alb-logs",
    stack=f"{SERVICE}-{stack}",
    alarm_actions=alarm_actions,
    tags=tags,
))

fleet = Fleet(SERVICE, FleetArgs(
    stack=f"{SERVICE}-{stack}",
    services=[FleetService(
        name=SERVICE,
        type="web",
        image=images.digests.apply(lambda digests: digests[SERVICE]),
        command=f"/{SERVICE}",
        ports=[f"{PORT}:{PORT}"],
        environment={
            "STATUS_CHECKS": ",".join(f"{name}={url}" for name, url in sorted(checks.items())),
            "STATUS_INTERVAL": config.require("interval"),
        },
        target_group_arn=web.target_groups[SERVICE].arn,
        # With the load balancer's suffix below: the service's alarms, which gate its rollouts (the pack requires them in prod).
        target_group_arn_suffix=web.target_groups[SERVICE].arn_suffix,
    )],
    instance_types=[hosts["instance_type"]],
    min_size=hosts["min"],
    max_size=hosts["max"],
    # The platform's golden AMI (Docker, the secrets fetcher, the disk guard), by the parameter its pipeline writes.
    image_id=aws.ssm.get_parameter_output(name=config.require("host_image_parameter")).value,
    repository_arns=images.repository_arns.apply(lambda arns: sorted(arns.values())),
    secrets_key_arn=config.require("secrets_key_arn"),
    vpc_id=config.require("vpc_id"),
    subnet_ids=config.require_object("private_subnet_ids"),
    load_balancer_security_group_id=web.security_group_id,
    load_balancer_arn_suffix=web.arn_suffix,
    # Its alarms (the gating ones above, the hosts' disk and status checks) notify the topic.
    alarm_actions=alarm_actions,
    tags=tags,
))

pulumi.export("url", f"https://{hostname}/")
pulumi.export("load_balancer_dns_name", web.dns_name)
pulumi.export("image", images.digests.apply(lambda digests: digests[SERVICE]))
pulumi.export("fleet_group", fleet.group_name)
