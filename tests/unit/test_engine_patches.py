"""The offline engine's patches of SDK internals hold for its own run only.

`engine.run_stack` leaves out the per-registration stack trace, the stand-in URN the SDK
computes for a monitor-less response, and the unset (None) inputs before serializing, and resolves
each resource output in one step; all are put back when the run ends, so the unit tests' own mock
runs (and any other program in the process) see the SDK as it ships.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pulumi
import pulumi_aws as aws
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings

from showrunner import engine
from showrunner.mocks import Secret
from tests.conftest import PROJECT_DIR
from tests.unit.under_mocks import run_program

shipped_serialize = rpc.serialize_properties
shipped_transfer = rpc.transfer_properties


def _patched() -> tuple:
    return runtime_resource.create_urn, runtime_resource._get_stack_trace, rpc.serialize_properties, rpc.transfer_properties


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


_still_tracked: list[bool] = []
"""Whether the bucket's `bucket_regional_domain_name` was still in `SETTINGS.outputs` once a later resource's output resolved."""


def _outputs_program():
    """Outputs read back every way a program reads them: applied, combined, secret, unknown in preview, exported."""
    bucket = aws.s3.Bucket("probe-bucket", tags={"Name": "probe"})
    secret = pulumi.Output.secret("s3cr3t")
    policy = aws.s3.BucketPolicy("probe-policy", bucket=bucket.id,
                                 policy=pulumi.Output.all(bucket.arn, secret).apply(lambda both: f'{{"Resource": "{both[0]}"}}'))
    # Registered after the bucket's outputs resolved; the bucket's `bucket_regional_domain_name`, which nothing applies (an apply untracks).
    policy.bucket.apply(lambda _: _still_tracked.append(bucket.bucket_regional_domain_name._data in runtime_settings.SETTINGS.outputs))
    parameter = aws.ssm.Parameter("probe-param", type="SecureString", value=secret, description=bucket.bucket.apply(lambda name: f"for {name}"))
    pulumi.export("bucket", bucket.bucket)
    pulumi.export("arn", bucket.arn)
    pulumi.export("zone", bucket.hosted_zone_id)  # an output the mock leaves unset: unknown in preview
    pulumi.export("secret", secret)
    pulumi.export("param", parameter.value)  # a resource output the SDK marks secret


def test_outputs_resolved_in_one_step_register_and_export_as_the_sdk_s_do():
    """The SDK itself is the oracle: the same registrations, dependencies and stack outputs."""
    _still_tracked.clear()
    shipped = run_program(_outputs_program)
    with engine._with_direct_outputs():
        assert rpc.transfer_properties is not shipped_transfer
        direct = run_program(_outputs_program)
    assert rpc.transfer_properties is shipped_transfer
    assert direct == shipped
    assert _still_tracked == [False, False], "a resolved output is no longer tracked, as the SDK's done-callback sees to"
    resources, outputs = shipped
    policy = next(r for r in resources if r.name == "probe-policy")
    assert policy.dependencies == [next(r.urn for r in resources if r.name == "probe-bucket")]
    assert outputs["bucket"] and outputs["arn"] and outputs["zone"] == "[unknown]"
    assert isinstance(outputs["param"], Secret), "a secret resource output stays secret"


_FAILING_RUN = """
import json, sys
import pulumi, pulumi_aws as aws
from pulumi.runtime import settings
from showrunner import engine
from showrunner.mocks import ShowrunnerMocks
from tests.unit.under_mocks import run_program

shipped = ShowrunnerMocks.new_resource
def refusing(self, args):
    if args.name == "broken":
        raise RuntimeError("the provider refused broken")
    return shipped(self, args)
ShowrunnerMocks.new_resource = refusing

held = {}

def program():
    bucket = aws.s3.Bucket("broken")
    held["unread"] = bucket.bucket_regional_domain_name  # an output nothing applies (an apply untracks)
    aws.s3.BucketPolicy("after", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: arn))
    pulumi.export("arn", bucket.arn)

try:
    if sys.argv[1] == "direct":
        with engine._with_direct_outputs():
            run_program(program)
    else:
        run_program(program)
    raised = None
except Exception as error:
    raised = f"{type(error).__name__}: {error}"
data = held["unread"]._data
kept = data in settings.SETTINGS.outputs and data.done() and repr(data.exception()) == repr(RuntimeError("the provider refused broken"))
print(json.dumps({"raised": raised, "failed_output_kept": kept}))
"""


def test_a_failed_registration_fails_its_outputs_as_the_sdk_s_do():
    """Each in a process of its own: the SDK chains a failed registration's error into a cycle,
    which the interpreter's own error reporting should not meet in the test run."""

    def run(which: str) -> dict:
        result = subprocess.run([sys.executable, "-c", _FAILING_RUN, which], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
        return json.loads(result.stdout.splitlines()[-1])

    shipped, direct = run("shipped"), run("direct")
    assert shipped == {"raised": "RuntimeError: the provider refused broken", "failed_output_kept": True}
    assert direct == shipped
