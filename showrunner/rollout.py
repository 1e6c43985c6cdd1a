"""`showrunner rollout wait --stack NAME`: wait for every fleet's instance refresh, and fail unless it succeeded.

`pulumi up` returns as soon as an Auto Scaling group is updated and its instance refresh has
started (the bridged provider does not wait: terraform-provider-aws#42355), so a deploy would
promote to the next stack before the hosts are replaced, or rolled back. This waits: it finds the
stack's groups by their tags (`Environment: <stack>`, `ManagedBy: pulumi`, a `Fleet` key), follows
each group's latest refresh, prints a line whenever one moves, and exits

- 0 when every refresh succeeded, or when a group needed none (its hosts already run the
  launch-template version it names);
- 1 on a failed, cancelled or rolled-back refresh, on the timeout, and when a group's hosts run
  another version than it names with no refresh started (never started).

A rollback is a failure even when it succeeds: the change did not land. With the bridged
provider the group already names the new version when the refresh starts, so AWS's rollback can
land on that same version (terraform-provider-aws#34189); the line says so, and the remedy is to
revert the change and deploy again.

The client is boto3's Auto Scaling client; the tests drive it with botocore's Stubber.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

ACTIVE = frozenset({"Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"})
SUCCEEDED = "Successful"
FAILED = frozenset({"Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"})
DEFAULT_TIMEOUT_SECONDS = 3600
DEFAULT_POLL_SECONDS = 15
START_GRACE_SECONDS = 120
"""How long a group whose hosts are stale may go without a refresh before it counts as never started."""


class RolloutError(Exception):
    """The groups cannot be found or read; one line."""


@dataclass
class Fleet:
    name: str
    group: str
    state: str = "waiting"
    """waiting, succeeded, current (nothing to refresh), failed."""
    last: str = ""
    """The last progress text printed, so that only changes are printed."""
    reason: str = ""


def stack_groups(client: Any, stack: str) -> list[Fleet]:
    """The stack's fleets: groups tagged as this stack's, managed by Pulumi, with a `Fleet` tag."""
    filters = [
        {"Name": "tag:Environment", "Values": [stack]},
        {"Name": "tag:ManagedBy", "Values": ["pulumi"]},
        {"Name": "tag-key", "Values": ["Fleet"]},
    ]
    fleets = []
    for page in client.get_paginator("describe_auto_scaling_groups").paginate(Filters=filters, IncludeInstances=False):
        for group in page["AutoScalingGroups"]:
            tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
            fleets.append(Fleet(name=tags.get("Fleet", group["AutoScalingGroupName"]), group=group["AutoScalingGroupName"]))
    return sorted(fleets, key=lambda fleet: fleet.name)


def _wanted_version(group: dict) -> str | None:
    """The launch-template version the group launches (plain or mixed-instances)."""
    spec = group.get("LaunchTemplate") or group.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
    return spec.get("Version")


def _stale_hosts(client: Any, group_name: str) -> tuple[str | None, list[str]]:
    """(the version the group names, the in-service hosts that run another one)."""
    [group] = client.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
    wanted = _wanted_version(group)
    stale = [
        instance["InstanceId"]
        for instance in group.get("Instances", [])
        if instance.get("LifecycleState") == "InService" and instance.get("LaunchTemplate", {}).get("Version") != wanted
    ]
    return wanted, stale


def _progress(refresh: dict) -> str:
    """`InProgress, 50% done, 2 to update (Waiting for instances to warm up …)`."""
    parts = [refresh["Status"]]
    if refresh.get("PercentageComplete") is not None:
        parts.append(f"{refresh['PercentageComplete']}% done")
    if refresh.get("InstancesToUpdate") is not None:
        parts.append(f"{refresh['InstancesToUpdate']} to update")
    text = ", ".join(parts)
    return f"{text} ({refresh['StatusReason']})" if refresh.get("StatusReason") else text


def _rollback_note(client: Any, fleet: Fleet, refresh: dict) -> str:
    """terraform-provider-aws#34189: after a rollback the group may still name the new version."""
    desired = refresh.get("DesiredConfiguration", {}).get("LaunchTemplate", {}).get("Version")
    wanted, _ = _stale_hosts(client, fleet.group)
    if desired is not None and desired == wanted:
        return (f"; the group still launches version {wanted}, the one rolled back from (terraform-provider-aws#34189): "
                "revert the change and deploy again")
    return ""


@dataclass
class Waiter:
    client: Any
    stack: str
    out: TextIO
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    poll: float = DEFAULT_POLL_SECONDS
    since: datetime | None = None
    """Refreshes that started before it belong to an earlier deploy and are not waited for."""
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    fleets: list[Fleet] = field(default_factory=list)

    def say(self, fleet: Fleet, text: str) -> None:
        if text != fleet.last:
            print(f"rollout: {self.stack}/{fleet.name}: {text}", file=self.out, flush=True)
            fleet.last = text

    def _latest(self, fleet: Fleet) -> dict | None:
        refreshes = self.client.describe_instance_refreshes(AutoScalingGroupName=fleet.group, MaxRecords=1)["InstanceRefreshes"]
        if not refreshes:
            return None
        refresh = refreshes[0]
        if self.since is not None and refresh["StartTime"] < self.since:
            return None
        return refresh

    def check(self, fleet: Fleet, waited: float) -> None:
        refresh = self._latest(fleet)
        if refresh is None:
            wanted, stale = _stale_hosts(self.client, fleet.group)
            if not stale:
                fleet.state = "current"
                self.say(fleet, f"no instance refresh needed, every host runs launch template version {wanted}")
            elif waited >= START_GRACE_SECONDS:
                fleet.state, fleet.reason = "failed", "never started"
                self.say(fleet, f"never started: {len(stale)} host(s) ({', '.join(stale)}) run another version than {wanted}, "
                                "and no instance refresh started")
            else:
                self.say(fleet, f"waiting for an instance refresh: {len(stale)} host(s) run another version than {wanted}")
            return
        status = refresh["Status"]
        if status in ACTIVE:
            self.say(fleet, _progress(refresh))
        elif status == SUCCEEDED:
            fleet.state = "succeeded"
            self.say(fleet, f"Successful ({refresh['InstanceRefreshId']})")
        elif status in FAILED:
            fleet.state, fleet.reason = "failed", status
            note = _rollback_note(self.client, fleet, refresh) if status.startswith("Rollback") else ""
            self.say(fleet, f"{_progress(refresh)}{note}")
        else:
            fleet.state, fleet.reason = "failed", status
            self.say(fleet, f"unknown status {status}")

    def run(self) -> int:
        self.fleets = stack_groups(self.client, self.stack)
        if not self.fleets:
            print(f"rollout: {self.stack}: no Auto Scaling group is tagged Environment={self.stack}, ManagedBy=pulumi with a Fleet tag; "
                  "nothing to wait for", file=self.out, flush=True)
            return 0
        start = self.clock()
        while True:
            waited = self.clock() - start
            for fleet in self.fleets:
                if fleet.state == "waiting":
                    self.check(fleet, waited)
            pending = [fleet for fleet in self.fleets if fleet.state == "waiting"]
            if not pending:
                break
            if waited >= self.timeout:
                for fleet in pending:
                    fleet.state, fleet.reason = "failed", "timeout"
                    self.say(fleet, f"timed out after {self.timeout:.0f} s; last seen: {fleet.last}")
                break
            self.sleep(self.poll)
        failed = [fleet for fleet in self.fleets if fleet.state == "failed"]
        summary = ", ".join(f"{fleet.name} ({fleet.reason})" for fleet in failed)
        print(f"rollout: {self.stack}: " + (f"not healthy: {summary}" if failed else f"every fleet rolled out ({len(self.fleets)})"),
              file=self.out, flush=True)
        return 1 if failed else 0
