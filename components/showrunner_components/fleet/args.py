"""`FleetArgs` and its nested types: one Auto Scaling group of Docker hosts, in EC2's, Auto
Scaling's and the host's own words.

No `from __future__ import annotations`: the component provider reads these annotations.
"""

from typing import Any, NotRequired, TypedDict

import pulumi


class FleetService(TypedDict):
    """One container the hosts run under systemd (a web or worker unit, or a cron timer)."""

    name: str
    """Names the unit (`showrunner-<name>`), the container, and the SSM path its secrets are read
    from (`/showrunner/<stack>/<name>/`)."""
    type: str
    """web or worker: one long-running unit, restarted when it dies. cron: a oneshot started by a timer."""
    image: pulumi.Input[str]
    """`repository@sha256:…`, the digest hosts pull and run; a tag is refused."""
    command: str
    """The container's command, split into words as a shell would; no shell runs it."""
    environment: NotRequired[pulumi.Input[dict[str, str]]]
    """`--env` values: plain configuration, never a secret (they are in the user data). Default: none."""
    ports: NotRequired[list[str]]
    """`HOST:CONTAINER` ports to publish. A routed service's target group gets the first one's host
    port. Default: none."""
    volumes: NotRequired[list[str]]
    """`--volume` mounts. Default: `/var/log/containers:/var/log`, so container logs land on the host."""
    remove_on_exit: NotRequired[bool]
    """`docker run --rm`. Default: false."""
    schedule: NotRequired[str]
    """A cron service's five-field schedule (or @hourly, @daily, @weekly, @monthly), in UTC. Only for type cron."""
    secret_refs: NotRequired[pulumi.Input[dict[str, str]]]
    """`NAME → SECRET_ARN:JSON_KEY`: the host's fetcher reads these from Secrets Manager into the
    container's env file at each start. Only the ARNs reach the user data. Default: none (the
    service's SSM parameters are fetched either way)."""
    credential_files: NotRequired[pulumi.Input[dict[str, str]]]
    """`NAME → SOURCE`: credentials the host writes to `/run/showrunner/<name>.d/NAME` before each
    start and again every 5 minutes while the container runs, mounted read-only at
    `/run/secrets/showrunner/` (the service reads the file at each new connection, so a new
    credential needs no restart). SOURCE `rds-iam:HOST:PORT:USER` is an RDS IAM authentication
    token for USER, minted with the instance role (which needs `rds-db:connect` on it).
    Default: none."""
    secret_names: NotRequired[list[str]]
    """The SSM parameters (`/showrunner/<stack>/<name>/NAME`) the container needs: the host's
    fetcher retries until each is there and not empty, and the container never starts without
    them. Default: none required (whatever parameters exist are fetched)."""
    memory_mb: NotRequired[int]
    """The container's memory limit in MiB, swap included (none beyond it); over it the container is
    OOM-killed and restarted under the unit's start limits. Default: 512."""
    target_group_arn: NotRequired[pulumi.Input[str]]
    """The load balancer target group to register hosts in. Default: not routed; no port is opened."""
    target_group_arn_suffix: NotRequired[pulumi.Input[str]]
    """That target group's ARN suffix; needed with `requests_per_target`, and for the service's
    alarms (with the fleet's `load_balancer_arn_suffix`). Default: none, the service has no alarms."""


class FleetScheduledAction(TypedDict):
    """A recurring capacity change, for the weekly peaks."""

    name: str
    """The scheduled action's name."""
    recurrence: str
    """Five-field cron, in `time_zone`."""
    min_size: int
    """The group's minimum from then on."""
    max_size: int
    """The group's maximum from then on."""
    desired_capacity: NotRequired[int]
    """Default: unset (-1), target tracking keeps deciding within the new bounds."""
    time_zone: NotRequired[str]
    """An IANA zone. Default: UTC."""


class FleetSpot(TypedDict):
    """Spot capacity; then the group takes instances of every type in `instance_types`."""

    on_demand_base_capacity: NotRequired[int]
    """On-demand instances before any Spot. Default: 0."""
    on_demand_percentage_above_base_capacity: NotRequired[int]
    """Percent on demand above the base. Default: 0, all Spot."""


class FleetWarmPool(TypedDict):
    """Pre-initialised instances; needs exactly one instance type and no Spot (AWS's rule)."""

    pool_state: NotRequired[str]
    """Stopped, Running or Hibernated. Default: Stopped."""
    min_size: NotRequired[int]
    """Instances kept in the pool. Default: 0."""
    max_group_prepared_capacity: NotRequired[int]
    """Default: unset, the group's max size."""


class FleetAlarms(TypedDict):
    """When the fleet's alarms fire. Each notifies `alarm_actions` on ALARM and on OK."""

    target_5xx_percent: NotRequired[float]
    """A routed service's 5xx responses, percent of its requests, each of 3 minutes. Default: 5."""
    unhealthy_hosts: NotRequired[int]
    """A routed service's unhealthy targets above this, 3 minutes running. Default: 0."""
    p99_response_seconds: NotRequired[float]
    """A routed service's 99th-percentile response time, seconds, each of 3 minutes. Default: 2."""
    disk_used_percent: NotRequired[float]
    """The fullest host's data volume or root, percent, two 5-minute reports running. Default: 80."""
    clock_offset_seconds: NotRequired[float]
    """The most-drifted host's clock offset from chrony's reference, seconds, 5 minutes running. Default: 1."""


class FleetPeerSecurityGroup(TypedDict):
    """A security group that must admit this fleet's hosts (a database's, a cache's)."""

    name: str
    """Names the rule (`<fleet>-sg-to-<name>`) and its description."""
    security_group_id: pulumi.Input[str]
    """The group that gains an ingress rule from this fleet's security group."""
    port: int
    """The TCP port it opens."""


class FleetArgs(TypedDict):
    stack: str
    """The deployment name: it prefixes log groups (`/showrunner/<stack>/<fleet>`), SSM paths
    (`/showrunner/<stack>/<service>/`) and instance names (`showrunner-<stack>-<fleet>`)."""
    services: list[FleetService]
    """What every host runs."""
    instance_types: list[str]
    """One type: a plain launch template. Several, or `spot`: a mixed-instances group over them."""
    min_size: int
    """The fewest hosts, outside scheduled actions."""
    max_size: int
    """The most hosts, outside scheduled actions."""
    desired_capacity: NotRequired[int]
    """At creation only; scaling owns it afterwards. Default: `min_size`."""
    cpu_target_percent: NotRequired[float]
    """Target tracking on average CPU. Default: 50."""
    requests_per_target: NotRequired[int]
    """Target tracking on load balancer requests per target, one policy per routed service.
    Default: off."""
    scheduled_actions: NotRequired[list[FleetScheduledAction]]
    """Default: none."""
    spot: NotRequired[FleetSpot]
    """Default: on demand only."""
    warm_pool: NotRequired[FleetWarmPool]
    """Default: none."""
    root_volume_size: NotRequired[int]
    """GiB, gp3, encrypted. Default: 16."""
    data_volume_size: NotRequired[int]
    """GiB, gp3, encrypted: Docker's data root (`/mnt/docker`). Default: 60."""
    health_check_grace_period: NotRequired[int]
    """Seconds before health checks count for a new host (the load balancer's when a service is
    routed, else EC2 status checks); also the refresh's warm-up (and twice it, its checkpoint delay).
    Default: 180."""
    min_free_mb: NotRequired[int]
    """MiB the disk guard wants free on the data root before a unit starts. Default: 2048."""
    start_deadline_seconds: NotRequired[int]
    """How long a service's start waits (for its secrets, then for its image, each) while the
    secret store or the registry is away, retrying with backoff; past it the host marks itself
    Unhealthy in its group (`autoscaling:SetInstanceHealth`) and is replaced. Default: 300."""
    image_id: pulumi.Input[str]
    """The AMI hosts boot (the golden image: Docker, the secrets fetcher, the disk guard)."""
    repository_arns: NotRequired[pulumi.Input[list[str]]]
    """The ECR repositories hosts may pull from. Default: none, no ECR permission at all."""
    secrets_key_arn: pulumi.Input[str]
    """The KMS key of the services' SSM parameters; hosts decrypt with it only through SSM."""
    vpc_id: pulumi.Input[str]
    """The VPC of the fleet's security group."""
    subnet_ids: pulumi.Input[list[str]]
    """Private subnets the group launches into."""
    load_balancer_security_group_id: NotRequired[pulumi.Input[str]]
    """The load balancer's group: it alone reaches a routed service's port. Needed with a routed service."""
    load_balancer_arn_suffix: NotRequired[pulumi.Input[str]]
    """Needed with `requests_per_target` (the metric's resource label) and for the routed services'
    alarms. Default: none, no request scaling and no service alarms."""
    deregistration_delay: NotRequired[int]
    """The target groups' draining seconds; a terminating host is held that long, plus `docker
    stop`, plus 30 s. Default: 30."""
    http_put_response_hop_limit: NotRequired[int]
    """IMDSv2 is always required. Default: hop limit 1, containers on the bridge network cannot
    reach the instance role. 2 lets them (for containers that call AWS APIs themselves)."""
    permissions_boundary: NotRequired[pulumi.Input[str]]
    """The managed policy the instance role carries as its permissions boundary (a deploy role that
    may create roles only with it). Default: none."""
    additional_role_statements: NotRequired[pulumi.Input[list[dict[str, Any]]]]
    """IAM statements appended to the instance role's policy. Default: none."""
    peer_security_groups: NotRequired[list[FleetPeerSecurityGroup]]
    """Security groups that must admit this fleet. Default: none."""
    alarm_actions: NotRequired[pulumi.Input[list[str]]]
    """What the alarms notify (an SNS topic's ARN, `Alerts.topic_arn`) when they fire and recover.
    Default: none; the alarms still exist and still stop a rollout."""
    alarms: NotRequired[FleetAlarms]
    """Thresholds. Default: each as `FleetAlarms` says. Every fleet gets a disk alarm and a status-check
    alarm; each routed service a 5xx-rate, an unhealthy-hosts and a p99 alarm, which its instance
    refresh names: when one fires during a refresh, the refresh fails and rolls back."""
    log_retention_days: NotRequired[int]
    """Days the fleet's and its services' log groups keep events. Default: 30."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """The KMS key the log groups are encrypted with (its policy must let CloudWatch Logs use it for
    them, as `Alerts` with `log_group_prefix` does). Default: CloudWatch Logs' own encryption."""
    tags: NotRequired[dict[str, str]]
    """Tags on every resource, before `Name`, `Service=fleet-<name>` and `Fleet`. Default: none."""
