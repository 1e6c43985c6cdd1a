"""The offline engine's patches of SDK internals hold for its own run only.

`engine.run_stack` leaves out the per-registration stack trace, the stand-in URN the SDK
computes for a monitor-less response, and the unset (None) inputs before serializing; all are put
back when the run ends, so the unit tests' own mock runs (and any other program in the process)
see the SDK as it ships.
"""

from __future__ import annotations

import sys

import pulumi
import pulumi_aws as aws
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import rpc

from showrunner import engine
from tests.conftest import PROJECT_DIR
from tests.unit.under_mocks import run_program

shipped_serialize = rpc.serialize_properties


def _patched() -> tuple:
    return runtime_resource.create_urn, runtime_resource._get_stack_trace, rpc.serialize_properties


def test_a_run_puts_the_sdk_back_as_it_found_it():
    shipped = _patched()
    seen = {}

    def spy(*args, **kwargs):
        seen["during"] = _patched()
        return real(*args, **kwargs)

    real = engine.runpy.run_path
    engine.runpy.run_path = spy
    try:
        engine.run_stack(PROJECT_DIR, "staging")
    finally:
        engine.runpy.run_path = real
    assert all(during is not before for during, before in zip(seen["during"], shipped)), "each patched while the program runs"
    assert _patched() == shipped


def test_unset_inputs_left_out_register_as_the_sdk_registers_them_all():
    """The SDK itself is the oracle: the same registrations (inputs, dependencies, outputs) with the Nones left out."""

    def program():
        bucket = aws.s3.Bucket("probe-bucket", tags={"Name": "probe"})
        aws.s3.BucketPolicy("probe-policy", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: f'{{"Resource": "{arn}"}}'))
        aws.cloudwatch.MetricAlarm("probe-alarm", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                                   metric_name="Errors", namespace="AWS/S3", period=60, statistic="Sum", threshold=1,
                                   dimensions={"BucketName": bucket.bucket}, alarm_actions=None, ok_actions=[])
        pulumi.export("bucket", bucket.bucket)
        pulumi.export("unset", None)

    shipped = run_program(program)
    with engine._without_unset_inputs():
        assert rpc.serialize_properties is not shipped_serialize
        left_out = run_program(program)
    assert left_out == shipped
    resources, outputs = shipped
    policy = next(r for r in resources if r.name == "probe-policy")
    assert policy.dependencies == [next(r.urn for r in resources if r.name == "probe-bucket")]
    alarm = next(r for r in resources if r.name == "probe-alarm")
    assert alarm.inputs["okActions"] == [] and "alarmActions" not in alarm.inputs, "an empty list is sent, a None is not"
    assert outputs["bucket"]


def test_the_sdk_s_registrations_are_the_caller_that_gets_no_urn(monkeypatch):
    """Should the SDK rename `do_register`, every registration would reach `create_urn` again."""
    callers = []
    shipped = runtime_resource.create_urn

    def counting(*args):
        callers.append(sys._getframe(1).f_code.co_name)
        return shipped(*args)

    monkeypatch.setattr(runtime_resource, "create_urn", counting)
    run = engine.run_stack(PROJECT_DIR, "staging")
    assert "do_register" not in callers
    assert len(callers) < len(run.resources) / 2, f"{len(callers)} URNs computed for {len(run.resources)} resources"


def test_only_the_registration_gets_no_urn_other_callers_get_the_sdk_s():
    calls = []
    original = runtime_resource.create_urn
    runtime_resource.create_urn = lambda *args: calls.append(args) or "computed"
    try:
        with engine._without_unused_urns():
            def do_register():
                return runtime_resource.create_urn("name", "type")

            def inherited_child_alias():
                return runtime_resource.create_urn("name", "type")

            assert do_register() is not None and calls == []
            assert inherited_child_alias() == "computed" and calls == [("name", "type", None, None, None)]
    finally:
        runtime_resource.create_urn = original
