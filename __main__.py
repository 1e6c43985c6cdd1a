"""showrunner: the table of contents of one stack.

Config → typed settings → components. `showrunner.wiring` turns the settings into each component's
Args; the work lives in the component packages (`components/`).
"""

from pathlib import Path

import pulumi

from showrunner import wiring
from showrunner.config.runtime import stack_settings
from showrunner_components.delivery import Delivery
from showrunner_components.permissions_boundary import PermissionsBoundary
from showrunner_components.fleet import Fleet
from showrunner_components.golden_ami import GoldenAmi
from showrunner_components.image_pipeline import ImagePipeline
from showrunner_components.load_balancer import LoadBalancer
from showrunner_components.network import Network
from showrunner_components.observability import Alerts, Dashboard
from showrunner_components.secrets import ServiceSecrets
from showrunner_components.state import State
from showrunner_components.tagging import stack_tags

PROJECT_DIR = Path(__file__).parent
settings = stack_settings(PROJECT_DIR)
tags = stack_tags(settings.tags, settings.stack, production=settings.production)

secrets = ServiceSecrets("secrets", wiring.secrets_args(settings, tags))
network = Network("network", wiring.network_args(settings, tags))
# First: every other component's alarms notify its topic, and its key encrypts the log groups.
alerts = Alerts("alerts", wiring.alerts_args(settings, tags))
state = State("state", wiring.state_args(settings, network, alerts, tags))
load_balancer = LoadBalancer("web", wiring.load_balancer_args(settings, network, alerts, tags))
# Every role the deploy role creates carries the stack's boundary; an administrator applies it.
boundary = PermissionsBoundary("delivery-boundary", wiring.boundary_args(settings, secrets, tags)) if settings.delivery else None
golden_ami = GoldenAmi("golden-ami", wiring.golden_ami_args(settings, PROJECT_DIR, network, alerts, tags, boundary=boundary))
images = ImagePipeline("images", wiring.image_pipeline_args(settings, PROJECT_DIR, tags))

# A stack's first deploy (golden_ami.bootstrap) has no AMI yet: no fleets until the pipeline made one.
fleets = {
    name: Fleet(
        name,
        wiring.fleet_args(
            settings, name, golden_ami=golden_ami, images=images, secrets=secrets, network=network,
            load_balancer=load_balancer, state=state, alerts=alerts, tags=tags, boundary=boundary,
        ),
    )
    for name in ([] if settings.golden_ami.bootstrap else sorted(settings.fleets))
}
# Last: it shows what the others made.
dashboard = Dashboard("dashboard", wiring.dashboard_args(settings, load_balancer=load_balancer, fleets=fleets, state=state))

if settings.delivery is not None:
    delivery = Delivery("delivery", wiring.delivery_args(settings, secrets=secrets, fleets=fleets, golden_ami=golden_ami, images=images, boundary=boundary, tags=tags))
    pulumi.export("delivery_preview_role_arn", delivery.preview_role_arn)
    pulumi.export("delivery_deploy_role_arn", delivery.deploy_role_arn)

pulumi.export("secrets_key_arn", secrets.key_arn)
pulumi.export("image_digests", images.digests)
pulumi.export("vpc_id", network.vpc_id)
pulumi.export("state_endpoints", wiring.state_endpoints_output(state))
pulumi.export("load_balancer_dns_name", load_balancer.dns_name)
pulumi.export("fleet_groups", {n: f.group_name for n, f in fleets.items()})
pulumi.export("alerts_topic_arn", alerts.topic_arn)
pulumi.export("dashboard_name", dashboard.dashboard_name)
pulumi.export("access_log_bucket", load_balancer.access_log_bucket)
pulumi.export("golden_ami_parameter", golden_ami.ami_parameter_name)
pulumi.export("golden_ami_pipeline_arn", golden_ami.pipeline_arn)
if not settings.golden_ami.bootstrap:
    pulumi.export("golden_ami_id", golden_ami.ami_id)
