"""The sections under `showrunner:` (`SECTIONS`) and `Settings`, everything one stack is made of."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field, SecretStr

from showrunner.config.models.base import _Strict
from showrunner_components.tagging import PROGRAM_TAG_KEYS

TAGS_MAX = 50
"""Tags per resource (AWS's tagging rules, "Tagging best practices": at most 50 user-created tags)."""
from showrunner.config.models.fleets import Fleet
from showrunner.config.models.images import GoldenAmi, Image, ImagePipeline
from showrunner.config.models.observability import Alerts, Logs
from showrunner.config.models.platform import Delivery, LoadBalancer, Network
from showrunner.config.models.services import Service
from showrunner.config.models.state import State


@dataclass(frozen=True)
class Section:
    """One key under `showrunner:`: how it is parsed, and what the reference says of it."""

    key: str
    model: Any
    """The section's model, or each entry's when `entry` is set; a plain type for `tags` and `secrets`."""
    title: str
    """What the key holds, in the reference's heading."""
    doc: str
    """What the section is for, in the reference."""
    entry: str | None = None
    """Set for a map of name → entry: what one entry is called in messages (`service`)."""
    absent: Callable[[], Any] | None = None
    """The value when the key is left out. None: the key is required."""


SECTIONS: tuple[Section, ...] = (
    Section(
        "services", Service, "map of service name → spec", entry="service",
        doc="Names are lower-case letters, digits and dashes (2-32); a routed service's name is at most 20, since its "
        "target group is named `web-<service>-<7 characters>` and AWS allows 32. At most 100 services are routed (an ALB "
        "listener's rules). A route that an earlier rule (lower priority number) matches entirely can never receive a "
        "request and is refused. A literal credential in `env` (an AWS key, a token, a password in a URL) is refused: it "
        "belongs in `showrunner:secrets`. Each spec replaces one 2015 `base_docker` LWRP resource.",
    ),
    Section(
        "secrets", dict[str, dict[str, str]], "map service → name → secret value", absent=dict,
        doc="Set with `pulumi config set --secret --path 'showrunner:secrets.<service>.<NAME>' <value>`. Each becomes an "
        "SSM SecureString `/showrunner/<stack>/<service>/<NAME>` under a customer-managed KMS key (rotation on); hosts "
        "fetch them at container start. A secret set but not listed by its service is an error, as is one listed but "
        "not set; a value is at most 4 KB (a Standard SSM parameter). This is the only section that may hold secrets: a "
        "`secure:` value anywhere else (a service's `env`, `tags`…) is refused with its path, since the program would "
        "read it as plain text. Values never appear in errors, previews or user data, and no message about a key that "
        "holds a secret shows its value.",
    ),
    Section(
        "fleets", Fleet, "map of fleet name → Auto Scaling group", entry="fleet",
        doc="Every fleet runs at least one service. Hosts boot the golden AMI; their data volume holds Docker's data root.",
    ),
    Section(
        "images", Image, "map of image name → build", entry="image", absent=dict,
        doc="The container images (replaces Jenkins' `docker build` and the per-host S3 registry): each entry builds "
        "its folder under `images/` into its own ECR repository, after its `parent`; a service runs one with "
        "`image: <name>`. Adding one is a folder, an entry and a service: [images/README.md](images/README.md).",
    ),
    Section(
        "image_pipeline", ImagePipeline, "what every image shares", absent=ImagePipeline,
        doc="The weekly rebuild of the `weekly` images and the ECR lifecycle (replaces the `@daily docker rmi` cron). "
        "The weekly refresh moves `refresh_key` in every stack file.",
    ),
    Section(
        "golden_ami", GoldenAmi, "the host image", absent=GoldenAmi,
        doc="The EC2 Image Builder pipeline that bakes fleet hosts (replaces Packer + chef-client). With `bootstrap: true` "
        "(a stack's first deploy, before any AMI exists) no fleets are created.",
    ),
    Section(
        "network", Network, "the VPC", absent=Network,
        doc="A new VPC (`cidr`, `az_count`, `nat`), or an existing one (`vpc_id`, `public_subnet_ids` and "
        "`private_subnet_ids` together, two or more subnets each).",
    ),
    Section(
        "load_balancer", LoadBalancer, "the Application Load Balancer",
        doc="The ALB in front of the web services (replaces the nginx upstreams): HTTPS with an ACM certificate, "
        "HTTP redirected to HTTPS.",
    ),
    Section(
        "delivery", Delivery, "GitHub Actions → AWS", absent=lambda: None,
        doc="The GitHub OIDC provider, a read-only preview role and a deploy role scoped to resources tagged as this "
        "stack's. Leave the key out to create none of them.",
    ),
    Section(
        "state", State, "the stores services use", absent=State,
        doc="RDS MySQL, a Valkey (or Redis) replication group, DynamoDB tables and SQS queues for Celery. A store left "
        "out is not created, and a service that `uses` it is refused. How each store is built: "
        "[components/showrunner_components/state/README.md](components/showrunner_components/state/README.md).",
    ),
    Section(
        "alerts", Alerts, "alarms and who hears them", absent=Alerts,
        doc="An encrypted SNS topic per stack and its subscriptions; alarms on every routed service (5xx rate, "
        "unhealthy hosts, p99 response time), every fleet (disk use, status checks), the load balancer, the database, "
        "the cache and each dead-letter queue; a failed golden-AMI build; one CloudWatch dashboard. A routed fleet's "
        "instance refresh fails (and rolls back) when its alarms fire. What each alarm watches: "
        "[components/showrunner_components/observability/README.md](components/showrunner_components/observability/README.md).",
    ),
    Section(
        "logs", Logs, "container logs in CloudWatch", absent=Logs,
        doc="Each service's containers log through Docker's `awslogs` driver (non-blocking) to its own log group "
        "`/showrunner/<stack>/<fleet>/<service>`, encrypted with the alerts key; `docker logs` still reads the host's copy.",
    ),
    Section(
        "production", bool, "whether this stack is production", absent=lambda: False,
        doc="`showrunner:production: true` declares the stack production, whatever it is called (a copy of prod named "
        "`prod-eu` or `prd` is production once it says so). A production stack must keep `state.protect` on; every "
        "resource of it carries the tag `Production: true`, which the policy pack reads. Default: `false`.",
    ),
    Section(
        "tags", dict[str, str], "map of tag key → value", absent=dict,
        doc="Tags on every resource, plus `Environment: <stack>`. `Pulumi.yaml` sets `Project` and `ManagedBy`. AWS's "
        "rules hold: keys 1-128 and values 0-256 characters of letters, digits, spaces and `_ . : / = + - @`; no key "
        "starts with `aws:`; none is one the program sets (" + ", ".join(f"`{key}`" for key in PROGRAM_TAG_KEYS) + "); "
        f"and these, the aws provider's `defaultTags` and the program's together are at most {TAGS_MAX} on a resource, "
        f"so at most {TAGS_MAX - len(PROGRAM_TAG_KEYS)} of your own.",
    ),
)
"""Every section, in the order the reference lists them."""


class Settings(_Strict):
    """Everything one stack is made of. Built once by `load_settings`; never mutated."""

    project: str
    stack: str
    production: bool = False
    tags: dict[str, str]
    services: dict[str, Service]
    fleets: dict[str, Fleet]
    images: dict[str, Image]
    image_pipeline: ImagePipeline
    golden_ami: GoldenAmi
    network: Network
    load_balancer: LoadBalancer
    secrets: dict[str, dict[str, SecretStr]]
    delivery: Delivery | None = None
    state: State = Field(default_factory=State)
    alerts: Alerts = Field(default_factory=Alerts)
    logs: Logs = Field(default_factory=Logs)

    def services_on(self, fleet: str) -> dict[str, Service]:
        return {n: s for n, s in self.services.items() if s.fleet == fleet}
