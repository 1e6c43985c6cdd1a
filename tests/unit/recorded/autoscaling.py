"""Auto Scaling responses as AWS sends them (the shapes of the API reference's examples, with this
program's names), for `showrunner rollout wait` under botocore's Stubber."""

from __future__ import annotations

from datetime import datetime, timezone

STARTED = datetime(2026, 11, 30, 12, 5, 41, tzinfo=timezone.utc)
REFRESH_ID = "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b"
GROUPS = {"www": "www-asg-64b3b38", "ops": "ops-asg-c14c30a"}
TEMPLATE = {"LaunchTemplateId": "lt-0ff3f780fb2e3ee70", "LaunchTemplateName": "www-lt-3b1e2f0"}


def group(fleet: str, *, version: str = "7", hosts: dict[str, str] | None = None, mixed: bool = False) -> dict:
    """One group as DescribeAutoScalingGroups describes it; `hosts`: instance id → launch template version."""
    template = {**TEMPLATE, "Version": version}
    shape = (
        {"MixedInstancesPolicy": {"LaunchTemplate": {"LaunchTemplateSpecification": template, "Overrides": [{"InstanceType": "c7i.xlarge"}]}}}
        if mixed
        else {"LaunchTemplate": template}
    )
    return {
        "AutoScalingGroupName": GROUPS[fleet],
        "AutoScalingGroupARN": f"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:5b6c8f1a-0000-4000-8000-000000000000:autoScalingGroupName/{GROUPS[fleet]}",
        **shape,
        "MinSize": 1,
        "MaxSize": 2,
        "DesiredCapacity": len(hosts or {}) or 1,
        "DefaultCooldown": 300,
        "AvailabilityZones": ["us-east-1a", "us-east-1b"],
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": 180,
        "CreatedTime": datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc),
        "Instances": [
            {
                "InstanceId": instance,
                "InstanceType": "c7i.xlarge",
                "AvailabilityZone": "us-east-1a",
                "LifecycleState": "InService",
                "HealthStatus": "Healthy",
                "LaunchTemplate": {**TEMPLATE, "Version": host_version},
                "ProtectedFromScaleIn": False,
            }
            for instance, host_version in (hosts or {}).items()
        ],
        "Tags": [
            {"ResourceId": GROUPS[fleet], "ResourceType": "auto-scaling-group", "Key": key, "Value": value, "PropagateAtLaunch": False}
            for key, value in (("Environment", "staging"), ("ManagedBy", "pulumi"), ("Fleet", fleet), ("Service", f"fleet-{fleet}"))
        ],
    }


def groups_page(*fleets: str) -> dict:
    return {"AutoScalingGroups": [group(fleet, hosts={}) for fleet in fleets]}


def refresh(fleet: str, status: str, *, percent: int | None = None, to_update: int | None = None, reason: str | None = None,
            started: datetime = STARTED, desired_version: str = "7", rollback: bool = False) -> dict:
    """DescribeInstanceRefreshes with the group's latest refresh."""
    item = {
        "InstanceRefreshId": REFRESH_ID,
        "AutoScalingGroupName": GROUPS[fleet],
        "Status": status,
        "StartTime": started,
        "Preferences": {
            "MinHealthyPercentage": 90,
            "InstanceWarmup": 180,
            "CheckpointPercentages": [50, 100],
            "CheckpointDelay": 360,
            "SkipMatching": True,
            "AutoRollback": True,
            "AlarmSpecification": {"Alarms": ["showrunner-staging-django-5xx", "showrunner-staging-django-unhealthy-hosts", "showrunner-staging-django-p99"]},
        },
        "DesiredConfiguration": {"LaunchTemplate": {**TEMPLATE, "Version": desired_version}},
    }
    if percent is not None:
        item["PercentageComplete"] = percent
    if to_update is not None:
        item["InstancesToUpdate"] = to_update
    if reason is not None:
        item["StatusReason"] = reason
    if rollback:
        item["RollbackDetails"] = {
            "RollbackReason": "Rollback started because alarm showrunner-staging-django-5xx went into ALARM state.",
            "RollbackStartTime": datetime(2026, 11, 30, 12, 14, 2, tzinfo=timezone.utc),
            "PercentageCompleteOnRollback": 50,
            "InstancesToUpdateOnRollback": 1,
        }
    return {"InstanceRefreshes": [item]}


NONE = {"InstanceRefreshes": []}
