"""`showrunner rollout wait`: botocore's Stubber answers with recorded Auto Scaling responses."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from showrunner import cli, rollout
from tests.unit.recorded import autoscaling as recorded
from tests.unit.recorded import stubbed

FILTERS = [
    {"Name": "tag:Environment", "Values": ["staging"]},
    {"Name": "tag:ManagedBy", "Values": ["pulumi"]},
    {"Name": "tag-key", "Values": ["Fleet"]},
]


class Clock:
    """Time that passes only when the waiter sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def aws():
    with stubbed("autoscaling") as pair:
        yield pair


def _waiter(client, **overrides) -> tuple[rollout.Waiter, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    waiter = rollout.Waiter(client, "staging", out, poll=15, clock=clock, sleep=clock.sleep, **overrides)
    return waiter, out, clock


def _groups(stubber, *fleets: str) -> None:
    stubber.add_response("describe_auto_scaling_groups", recorded.groups_page(*fleets), {"Filters": FILTERS, "IncludeInstances": False})


def _refresh(stubber, fleet: str, response: dict) -> None:
    stubber.add_response("describe_instance_refreshes", response, {"AutoScalingGroupName": recorded.GROUPS[fleet], "MaxRecords": 1})


def _describe(stubber, fleet: str, **group) -> None:
    stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [recorded.group(fleet, **group)]},
                         {"AutoScalingGroupNames": [recorded.GROUPS[fleet]]})


def test_success_is_followed_to_the_end_with_a_line_per_change(aws):
    client, stubber = aws
    _groups(stubber, "ops", "www")
    # First poll: ops has nothing to refresh (its hosts run the version it names); www starts.
    _refresh(stubber, "ops", recorded.NONE)
    _describe(stubber, "ops", hosts={"i-0a1b2c3d4e5f60001": "7"})
    _refresh(stubber, "www", recorded.refresh("www", "InProgress", percent=0, to_update=2,
                                              reason="Waiting for instances to warm up before continuing. For example: i-0e69cc3f05f825f4f is warming up."))
    _refresh(stubber, "www", recorded.refresh("www", "InProgress", percent=0, to_update=2,
                                              reason="Waiting for instances to warm up before continuing. For example: i-0e69cc3f05f825f4f is warming up."))
    _refresh(stubber, "www", recorded.refresh("www", "InProgress", percent=50, to_update=1, reason="Waiting for checkpoint delay to finish."))
    _refresh(stubber, "www", recorded.refresh("www", "Successful", percent=100, to_update=0))
    waiter, out, clock = _waiter(client)
    assert waiter.run() == 0
    assert out.getvalue().splitlines() == [
        "rollout: staging/ops: no instance refresh needed, every host runs launch template version 7",
        "rollout: staging/www: InProgress, 0% done, 2 to update (Waiting for instances to warm up before continuing. "
        "For example: i-0e69cc3f05f825f4f is warming up.)",
        "rollout: staging/www: InProgress, 50% done, 1 to update (Waiting for checkpoint delay to finish.)",
        f"rollout: staging/www: Successful ({recorded.REFRESH_ID})",
        "rollout: staging: every fleet rolled out (2)",
    ]
    assert clock.now == 45, "polled every 15 s until the refresh succeeded"


def test_a_rollback_fails_and_says_when_the_group_still_names_the_bad_version(aws):
    client, stubber = aws
    _groups(stubber, "www")
    _refresh(stubber, "www", recorded.refresh("www", "InProgress", percent=50, to_update=1))
    _refresh(stubber, "www", recorded.refresh("www", "RollbackInProgress", percent=0, reason="Rollback started because alarm "
                                              "showrunner-staging-django-5xx went into ALARM state.", rollback=True))
    _refresh(stubber, "www", recorded.refresh("www", "RollbackSuccessful", percent=100, to_update=0, reason="Rollback completed successfully.",
                                              rollback=True))
    _describe(stubber, "www", version="7", hosts={"i-0a1b2c3d4e5f60001": "7", "i-0a1b2c3d4e5f60002": "7"})
    waiter, out, _ = _waiter(client)
    assert waiter.run() == 1
    lines = out.getvalue().splitlines()
    assert lines[1] == ("rollout: staging/www: RollbackInProgress, 0% done (Rollback started because alarm "
                        "showrunner-staging-django-5xx went into ALARM state.)")
    assert lines[2] == (
        "rollout: staging/www: RollbackSuccessful, 100% done, 0 to update (Rollback completed successfully.); the group still launches "
        "version 7, the one rolled back from (terraform-provider-aws#34189): revert the change and deploy again"
    )
    assert lines[-1] == "rollout: staging: not healthy: www (RollbackSuccessful)"


def test_a_refresh_that_does_not_finish_times_out(aws):
    client, stubber = aws
    _groups(stubber, "www")
    for _ in range(5):  # at 0, 15, 30, 45 and 60 s
        _refresh(stubber, "www", recorded.refresh("www", "InProgress", percent=0, to_update=2))
    waiter, out, clock = _waiter(client, timeout=60)
    assert waiter.run() == 1
    assert out.getvalue().splitlines()[-2:] == [
        "rollout: staging/www: timed out after 60 s; last seen: InProgress, 0% done, 2 to update",
        "rollout: staging: not healthy: www (timeout)",
    ]
    assert clock.now == 60


def test_a_refresh_that_never_started_fails_once_its_grace_is_over(aws):
    client, stubber = aws
    _groups(stubber, "www")
    stale = {"i-0a1b2c3d4e5f60001": "6", "i-0a1b2c3d4e5f60002": "7"}
    for _ in range(rollout.START_GRACE_SECONDS // 15 + 1):  # 0, 15, … 120 s
        _refresh(stubber, "www", recorded.NONE)
        _describe(stubber, "www", version="7", hosts=stale, mixed=True)
    waiter, out, _ = _waiter(client)
    assert waiter.run() == 1
    assert out.getvalue().splitlines() == [
        "rollout: staging/www: waiting for an instance refresh: 1 host(s) run another version than 7",
        "rollout: staging/www: never started: 1 host(s) (i-0a1b2c3d4e5f60001) run another version than 7, and no instance refresh started",
        "rollout: staging: not healthy: www (never started)",
    ]


def test_a_refresh_from_an_earlier_deploy_is_not_this_ones(aws):
    client, stubber = aws
    _groups(stubber, "www")
    earlier = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
    _refresh(stubber, "www", recorded.refresh("www", "Failed", started=earlier, reason="An alarm went into ALARM state."))
    _describe(stubber, "www", hosts={"i-0a1b2c3d4e5f60001": "7"})
    waiter, out, _ = _waiter(client, since=datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc))
    assert waiter.run() == 0
    assert out.getvalue().splitlines()[0] == "rollout: staging/www: no instance refresh needed, every host runs launch template version 7"


def test_a_stack_without_fleets_has_nothing_to_wait_for(aws):
    client, stubber = aws
    stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []}, {"Filters": FILTERS, "IncludeInstances": False})
    waiter, out, _ = _waiter(client)
    assert waiter.run() == 0
    assert "no Auto Scaling group is tagged Environment=staging" in out.getvalue()


def test_the_command_refuses_a_time_without_a_zone(capsys):
    assert cli.main(["rollout", "wait", "--stack", "staging", "--since", "2026-11-30T12:00:00"]) == 2
    assert capsys.readouterr().err == "error: --since 2026-11-30T12:00:00: give a time zone (…Z for UTC)\n"
    assert cli.main(["rollout", "wait", "--stack", "staging", "--since", "yesterday"]) == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err
