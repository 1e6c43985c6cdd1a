"""Fleets under mocks: the instance role statement by statement, launch template, group, scaling."""

from __future__ import annotations

import base64
import json
import re

import pytest

from showrunner_components.fleet import cloud_config
from showrunner_components.fleet.component import service_image
from showrunner.config.models import Service
from showrunner_components.state.contract import Endpoints, service_env, service_secret_refs
from showrunner.mocks import SECRET
from tests.conftest import by_type, one

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/showrunner/prod"
SESSION_MANAGER = [
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


def _policy(run, fleet: str) -> dict:
    return json.loads(one(run, "aws:iam/rolePolicy:RolePolicy", f"{fleet}-role-policy").inputs["policy"])


STORE_SIDS = {"mysql": "ReadDatabasePassword", "queues": "UseCeleryQueues", "tables": "UseTables"}


@pytest.mark.parametrize(
    ("fleet", "services", "image", "uses"),
    [
        ("www", ["django"], "www", ["mysql", "queues"]),
        ("micro", ["catalog"], "micro", ["tables"]),
        ("worker", ["celery"], "www", ["mysql", "queues"]),
        ("ops", ["clearsessions"], "www", ["mysql"]),
    ],
)
def test_instance_role_statements_resource_by_resource(stack_run, fleet, services, image, uses):
    run = stack_run("prod")
    key_arn = run.outputs["secrets_key_arn"]
    statements = {s["Sid"]: s for s in _policy(run, fleet)["Statement"]}
    # The store statements themselves are compared in tests/unit/components/test_state.py.
    assert sorted(statements) == sorted([
        "DecryptParametersThroughSsm", "EcrLogin", "EcrPullStackRepositories", "PutStackMetrics",
        "ReadOwnServiceParameters", "SessionManager", "WriteFleetLogs", *(STORE_SIDS[u] for u in uses),
    ])
    # GetAuthorizationToken has no resource-level permissions; pulls are scoped to this fleet's image.
    assert statements["EcrLogin"] == {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    assert statements["EcrPullStackRepositories"] == {
        "Sid": "EcrPullStackRepositories",
        "Effect": "Allow",
        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Resource": [f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/showrunner/prod/{image}"],
    }
    assert statements["ReadOwnServiceParameters"] == {
        "Sid": "ReadOwnServiceParameters",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        "Resource": [r for s in services for r in (f"{PREFIX}/{s}", f"{PREFIX}/{s}/*")],
    }
    assert statements["DecryptParametersThroughSsm"] == {
        "Sid": "DecryptParametersThroughSsm",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}},
    }
    log_group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/showrunner/prod/{fleet}"
    assert statements["WriteFleetLogs"]["Resource"] == [log_group, f"{log_group}:log-stream:*"]
    assert statements["WriteFleetLogs"]["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert statements["PutStackMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": ["Showrunner/Host"]}}
    assert statements["SessionManager"]["Action"] == SESSION_MANAGER
    assert all(s["Effect"] == "Allow" for s in statements.values())
    assert one(run, "aws:cloudwatch/logGroup:LogGroup", f"{fleet}-logs").inputs["name"] == f"/showrunner/prod/{fleet}"
    role = one(run, "aws:iam/role:Role", f"{fleet}-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = [a.name for a in by_type(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.inputs["role"] == role.name]
    assert attached == [], "no managed policy widens the role"
    inline = [p.name for p in by_type(run, "aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.name]
    assert inline == [f"{fleet}-role-policy"]


def test_launch_template_requires_imdsv2_and_encrypts_both_volumes(stack_run):
    run = stack_run("prod")
    # Containers that call SQS or DynamoDB need the role one hop further; ops (MySQL only) keeps 1.
    hop_limits = {"www": 2, "micro": 2, "worker": 2, "ops": 1}
    for template in by_type(run, "aws:ec2/launchTemplate:LaunchTemplate"):
        inputs = template.inputs
        assert inputs["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": hop_limits[template.name.removesuffix("-lt")],
            "instanceMetadataTags": "disabled",
        }
        devices = {m["deviceName"]: m["ebs"] for m in inputs["blockDeviceMappings"]}
        assert sorted(devices) == ["/dev/xvda", "/dev/xvdb"]
        assert all(ebs["encrypted"] == "true" and ebs["volumeType"] == "gp3" for ebs in devices.values())
        assert devices["/dev/xvdb"]["volumeSize"] == 60
        assert inputs["iamInstanceProfile"]["arn"].startswith(f"arn:aws:iam::{ACCOUNT}:instance-profile/")
        assert inputs["imageId"].startswith("ami-")


def test_user_data_is_the_rendered_cloud_config_without_secrets(stack_run):
    run = stack_run("prod")
    settings = run.settings
    digests = run.outputs["image_digests"]
    for fleet in settings.fleets:
        services = settings.services_on(fleet)
        user_data = base64.b64decode(one(run, "aws:ec2/launchTemplate:LaunchTemplate", f"{fleet}-lt").inputs["userData"]).decode()
        endpoints = Endpoints(**run.outputs["state_endpoints"])
        expected = cloud_config.render_cloud_config(
            "prod",
            "us-east-1",
            services,
            {n: service_image(s, digests) for n, s in services.items()},
            store_env={n: service_env(s.uses, endpoints) for n, s in services.items() if s.uses},
            secret_refs={n: service_secret_refs(s.uses, endpoints) for n, s in services.items() if "mysql" in s.uses},
        )
        assert user_data == expected
        # The database password travels as its secret's ARN to the fetcher, never as a value.
        assert "DATABASE_PASSWORD" not in user_data.replace(f"DATABASE_PASSWORD={endpoints.mysql_secret_arn}:password", "")
        assert ("--env DATABASE_HOST=" in user_data) == any("mysql" in s.uses for s in services.values())
        for values in settings.secrets.values():
            for secret in values.values():
                assert secret.get_secret_value() not in user_data


def test_groups_refresh_roll_and_ignore_desired_capacity(stack_run):
    run = stack_run("prod")
    groups = {r.name: r for r in by_type(run, "aws:autoscaling/group:Group")}
    assert sorted(groups) == ["micro-asg", "ops-asg", "worker-asg", "www-asg"]
    for group in groups.values():
        inputs = group.inputs
        assert group.ignore_changes == ["desiredCapacity"]
        assert inputs["healthCheckType"] == "ELB" and inputs["healthCheckGracePeriod"] == 180
        assert inputs["instanceRefresh"] == {
            "strategy": "Rolling",
            "preferences": {
                "minHealthyPercentage": 90,
                "skipMatching": True,
                "autoRollback": True,
                "checkpointPercentages": [50, 100],
                "checkpointDelay": "360",
                "instanceWarmup": "180",
            },
        }
        assert len(inputs["vpcZoneIdentifiers"]) == 3
    www = groups["www-asg"].inputs
    assert (www["minSize"], www["maxSize"], www["desiredCapacity"]) == (3, 60, 3)
    assert www["mixedInstancesPolicy"]["launchTemplate"]["launchTemplateSpecification"]["version"] == "1"
    assert www["mixedInstancesPolicy"]["instancesDistribution"]["onDemandPercentageAboveBaseCapacity"] == 100
    worker = groups["worker-asg"].inputs["mixedInstancesPolicy"]["instancesDistribution"]
    assert worker == {"onDemandBaseCapacity": 2, "onDemandPercentageAboveBaseCapacity": 0, "spotAllocationStrategy": "price-capacity-optimized"}
    assert "warmPool" not in groups["worker-asg"].inputs
    assert groups["ops-asg"].inputs["launchTemplate"]["version"] == "1"
    assert len(groups["www-asg"].inputs["targetGroupArns"]) == 1
    assert groups["worker-asg"].inputs.get("targetGroupArns", []) == []


def test_scaling_policies_and_weekly_schedules(stack_run):
    run = stack_run("prod")
    policies = {r.name: r.inputs["targetTrackingConfiguration"] for r in by_type(run, "aws:autoscaling/policy:Policy")}
    assert sorted(policies) == ["micro-cpu", "micro-requests-catalog", "ops-cpu", "worker-cpu", "www-cpu", "www-requests-django"]
    assert policies["www-cpu"] == {"predefinedMetricSpecification": {"predefinedMetricType": "ASGAverageCPUUtilization"}, "targetValue": 60}
    requests = policies["www-requests-django"]
    assert requests["targetValue"] == 18000
    assert requests["predefinedMetricSpecification"]["predefinedMetricType"] == "ALBRequestCountPerTarget"
    # AWS's form: app/<alb>/<id>/targetgroup/<target group>/<id>, from the two ARN suffixes.
    assert re.fullmatch(r"app/web-alb-\w+/\w+/targetgroup/web-django-\w+/\w+", requests["predefinedMetricSpecification"]["resourceLabel"])
    schedules = {r.name: r.inputs for r in by_type(run, "aws:autoscaling/schedule:Schedule")}
    assert sorted(schedules) == ["micro-weekday-floor", "micro-weekend-peak", "www-weekday-floor", "www-weekend-peak"]
    peak = schedules["www-weekend-peak"]
    assert (peak["recurrence"], peak["minSize"], peak["maxSize"], peak["desiredCapacity"], peak["timeZone"]) == (
        "0 17 * * 5", 20, 60, -1, "America/New_York"
    )


def test_a_terminate_hook_drains_every_group(stack_run):
    run = stack_run("prod")
    hooks = {r.name: r.inputs for r in by_type(run, "aws:autoscaling/lifecycleHook:LifecycleHook")}
    assert sorted(hooks) == ["micro-drain", "ops-drain", "worker-drain", "www-drain"]
    for hook in hooks.values():
        assert hook["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
        assert hook["heartbeatTimeout"] == 60 + 30 + 30  # prod's deregistration delay, docker stop, margin
        assert hook["defaultResult"] == "CONTINUE"


def test_secure_string_values_are_redacted(stack_run):
    run = stack_run("prod")
    parameters = by_type(run, "aws:ssm/parameter:Parameter")
    assert parameters and all(p.inputs["type"] == "SecureString" and p.inputs["value"] == SECRET for p in parameters)


def test_service_image_prefers_a_pinned_digest():
    digests = {"www": "r.example/www@sha256:" + "a" * 64}
    pinned = Service(command="x", image="www", type="worker", fleet="worker", tag="sha256:" + "b" * 64)
    assert service_image(pinned, digests) == "r.example/www@sha256:" + "b" * 64
    unpinned = Service(command="x", image="www", type="worker", fleet="worker")
    assert service_image(unpinned, digests) == digests["www"]
    external = Service(command="x", image="public.ecr.aws/org/tool", type="worker", fleet="worker", tag="sha256:" + "c" * 64)
    assert service_image(external, digests) == "public.ecr.aws/org/tool@sha256:" + "c" * 64
