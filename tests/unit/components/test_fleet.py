"""Fleets under mocks: the instance role statement by statement, launch template, group, scaling."""

from __future__ import annotations

import base64
import json
import re

import pytest

from showrunner import engine
from showrunner.config.models import Service
from showrunner.mocks import SECRET
from showrunner.wiring import service_image
from showrunner_components.fleet import cloud_config
from showrunner_components.fleet.component import check_args
from showrunner_components.fleet.units import HostLogging, HostService
from showrunner_components.state.contract import service_credential_files, service_env
from tests.conftest import PROJECT_DIR, by_type, one
from tests.unit.stand_ins import canary_stack_file, standalone_run

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/showrunner/prod"
SESSION_MANAGER = [
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory):
    """The prod program run with real secret values (what a deploy decrypts), not placeholders."""
    path = tmp_path_factory.mktemp("canary") / "Pulumi.prod.yaml"
    canaries = canary_stack_file(PROJECT_DIR, "prod", path)
    run = engine.run_stack(PROJECT_DIR, "prod", config_file=path)
    return run, [value for values in canaries.values() for value in values.values()]


def _policy(run, fleet: str) -> dict:
    return json.loads(one(run, "aws:iam/rolePolicy:RolePolicy", f"{fleet}-role-policy").inputs["policy"])


STORE_SIDS = {"mysql": "ConnectAsAppUser", "queues": "UseCeleryQueues", "tables": "UseTables"}


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
        "DecryptParametersThroughSsm", "EcrLogin", "EcrPullStackRepositories", "MarkOwnGroupInstancesUnhealthy", "PutStackMetrics",
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
    # The hosts' group and each of its services' (what the awslogs driver writes to), nothing else.
    groups = [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/showrunner/prod/{name}" for name in [fleet, *(f"{fleet}/{s}" for s in services)]]
    assert statements["WriteFleetLogs"]["Resource"] == [arn for group in groups for arn in (group, f"{group}:log-stream:*")]
    assert statements["WriteFleetLogs"]["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert statements["PutStackMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": ["Showrunner/Host"]}}
    assert statements["SessionManager"]["Action"] == SESSION_MANAGER
    assert all(s["Effect"] == "Allow" for s in statements.values())
    assert one(run, "aws:cloudwatch/logGroup:LogGroup", f"{fleet}-logs").inputs["name"] == f"/showrunner/prod/{fleet}"
    for service in services:
        group = one(run, "aws:cloudwatch/logGroup:LogGroup", f"{fleet}-logs-{service}").inputs
        # prod's retention, encrypted with the alerts key (whose policy admits /showrunner/prod/*).
        assert (group["name"], group["retentionInDays"], group["kmsKeyId"]) == (
            f"/showrunner/prod/{fleet}/{service}", 90, one(run, "aws:sns/topic:Topic", "alerts-topic").inputs["kmsMasterKeyId"])
    role = one(run, "aws:iam/role:Role", f"{fleet}-role")
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/showrunner-prod-boundary"
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


def _user_data(run, fleet: str) -> str:
    return base64.b64decode(one(run, "aws:ec2/launchTemplate:LaunchTemplate", f"{fleet}-lt").inputs["userData"]).decode()


def test_user_data_is_the_rendered_cloud_config(stack_run):
    """Each service as its host runs it: its env over its stores' env, its digest, its database token's source, its log group."""
    run = stack_run("prod")
    settings = run.settings
    digests = run.outputs["image_digests"]
    endpoints = run.outputs["state_endpoints"]
    for fleet in settings.fleets:
        services = settings.services_on(fleet)
        expected = cloud_config.render_cloud_config(
            "prod",
            "us-east-1",
            fleet=fleet,
            logging=HostLogging(region="us-east-1", group_prefix=f"/showrunner/prod/{fleet}"),
            services=[
                HostService(
                    name=n,
                    type=s.type,
                    image=service_image(s, digests),
                    command=s.command,
                    environment={**service_env(s.uses, endpoints), **s.env},
                    ports=tuple(s.ports),
                    volumes=tuple(s.volumes),
                    remove_on_exit=s.rm,
                    schedule=s.schedule,
                    credential_files=service_credential_files(s.uses, endpoints),
                    secret_names=tuple(sorted(s.secrets)),
                    memory_mb=s.memory_mb,
                )
                for n, s in services.items()
            ],
        )
        user_data = _user_data(run, fleet)
        assert user_data == expected
        # The application user's token is minted on the host from the role; only where it lives travels.
        source = f"DATABASE_PASSWORD=rds-iam:{endpoints['mysql_host']}:3306:showrunner_app"
        mentioned = user_data.replace(source, "").replace("DATABASE_PASSWORD_FILE=/run/secrets/showrunner/DATABASE_PASSWORD", "")
        assert "DATABASE_PASSWORD" not in mentioned
        assert endpoints["mysql_secret_arn"] not in user_data, "no host reads the master's secret"
        assert "--env DATABASE_USER=showrunner_app" in user_data or not any("mysql" in s.uses for s in services.values())
        assert ("--env DATABASE_HOST=" in user_data) == any("mysql" in s.uses for s in services.values())


def test_secret_values_reach_no_user_data_and_no_input(canary_run):
    run, canaries = canary_run
    assert run.settings.secrets["django"]["SECRET_KEY"].get_secret_value() in canaries, "the stack file's real values were read"
    for fleet in run.settings.fleets:
        user_data = _user_data(run, fleet)
        assert not [c for c in canaries if c in user_data], f"fleet {fleet}"
    everything = json.dumps([r.inputs for r in run.resources], default=repr) + json.dumps(run.outputs, default=repr)
    assert not [c for c in canaries if c in everything]


def test_groups_refresh_roll_and_ignore_desired_capacity(stack_run):
    run = stack_run("prod")
    groups = {r.name: r for r in by_type(run, "aws:autoscaling/group:Group")}
    assert sorted(groups) == ["micro-asg", "ops-asg", "worker-asg", "www-asg"]
    # A routed fleet's refresh names its services' alarms: one firing fails the refresh, which rolls back.
    gates = {"www-asg": "django", "micro-asg": "catalog"}
    for name, group in groups.items():
        inputs = group.inputs
        assert group.ignore_changes == ["desiredCapacity"]
        # ELB health checks only where a target group serves the group; EC2 status checks elsewhere.
        assert inputs["healthCheckType"] == ("ELB" if inputs.get("targetGroupArns") else "EC2")
        assert inputs["healthCheckGracePeriod"] == 180
        preferences = {
            "minHealthyPercentage": 90,
            "skipMatching": True,
            "autoRollback": True,
            "checkpointPercentages": [50, 100],
            "checkpointDelay": "360",
            "instanceWarmup": "180",
        }
        if name in gates:
            preferences["alarmSpecification"] = {
                "alarms": [f"showrunner-prod-{gates[name]}-{what}" for what in ("5xx", "unhealthy-hosts", "p99")]
            }
        assert inputs["instanceRefresh"] == {"strategy": "Rolling", "preferences": preferences}
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
    assert [n for n, g in sorted(groups.items()) if g.inputs["healthCheckType"] == "EC2"] == ["ops-asg", "worker-asg"]


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


def test_secure_string_values_are_redacted(stack_run, canary_run):
    """Placeholders or real values: every parameter value is marked secret, whether config marked it or not."""
    for run in (stack_run("prod"), canary_run[0]):
        parameters = by_type(run, "aws:ssm/parameter:Parameter")
        assert len(parameters) == 3 and all(p.inputs["type"] == "SecureString" and p.inputs["value"] == SECRET for p in parameters)


def test_service_image_is_the_pipeline_digest_or_the_external_reference():
    digests = {"www": "r.example/www@sha256:" + "a" * 64}
    pipeline = Service(command="x", image="www", type="worker", fleet="worker")
    assert service_image(pipeline, digests) == digests["www"]
    external = Service(command="x", image="public.ecr.aws/org/tool@sha256:" + "c" * 64, type="worker", fleet="worker")
    assert service_image(external, digests) == "public.ecr.aws/org/tool@sha256:" + "c" * 64


# --- the component on its own: plain Args, as another program would pass them -----------------

STANDALONE = """
import pulumi
from showrunner_components.fleet import Fleet

fleet = Fleet("solo", {
    "stack": "qa",
    "instance_types": ["t3.small"],
    "min_size": 1,
    "max_size": 2,
    "image_id": "ami-0123456789abcdef0",
    "secrets_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
    "vpc_id": "vpc-0a1b2c3d",
    "subnet_ids": ["subnet-a", "subnet-b"],
    "services": [{"name": "job", "type": "worker", "image": "registry.example/job@sha256:%s", "command": "run --once",
                  "environment": {"MODE": "batch"}}],
})
pulumi.export("user_data", fleet.user_data)
""" % ("2" * 64)


def test_a_fleet_from_plain_args_gets_every_default(tmp_path):
    run = standalone_run(tmp_path, STANDALONE)
    assert [r.type for r in run.resources if not r.custom] == ["showrunner:index:Fleet"]
    template = one(run, "aws:ec2/launchTemplate:LaunchTemplate", "solo-lt").inputs
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert template["instanceType"] == "t3.small"
    assert [m["ebs"]["volumeSize"] for m in template["blockDeviceMappings"]] == [16, 60]
    assert "ExecStart=/usr/bin/docker run --name job --label showrunner.service=job --label showrunner.host=%H " \
           "--env-file /run/showrunner/job.env --log-driver awslogs --log-opt awslogs-region=us-east-1 " \
           "--log-opt awslogs-group=/showrunner/qa/solo/job " in run.outputs["user_data"]
    assert "--env MODE=batch --memory 512m --memory-swap 512m --volume /var/log/containers:/var/log registry.example/job@sha256:" in run.outputs["user_data"]
    # The hosts' group and the service's, CloudWatch's own encryption, 30 days.
    assert {(g.inputs["name"], g.inputs["retentionInDays"], g.inputs.get("kmsKeyId")) for g in by_type(run, "aws:cloudwatch/logGroup:LogGroup")} == {
        ("/showrunner/qa/solo", 30, None), ("/showrunner/qa/solo/job", 30, None)}
    # Not routed: only the hosts' alarms, notifying no one, and no refresh gate.
    alarms = {a.inputs["name"]: a.inputs for a in by_type(run, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert sorted(alarms) == ["showrunner-qa-solo-clock", "showrunner-qa-solo-disk", "showrunner-qa-solo-status-check"]
    assert all(a.get("alarmActions", []) == [] for a in alarms.values())
    assert "--min-free-mb 2048" in run.outputs["user_data"]
    # No repositories given: no ECR permission at all; no store: no statement beyond the host's own.
    assert [s["Sid"] for s in _policy(run, "solo")["Statement"]] == [
        "ReadOwnServiceParameters", "DecryptParametersThroughSsm", "WriteFleetLogs", "PutStackMetrics", "MarkOwnGroupInstancesUnhealthy", "SessionManager",
    ]
    group = one(run, "aws:autoscaling/group:Group", "solo-asg").inputs
    assert "launchTemplate" in group and "mixedInstancesPolicy" not in group and group.get("targetGroupArns", []) == []
    assert (group["desiredCapacity"], group["healthCheckGracePeriod"]) == (1, 180)
    assert one(run, "aws:autoscaling/lifecycleHook:LifecycleHook", "solo-drain").inputs["heartbeatTimeout"] == 30 + 30 + 30
    cpu = one(run, "aws:autoscaling/policy:Policy", "solo-cpu").inputs["targetTrackingConfiguration"]
    assert cpu["targetValue"] == 50
    assert not by_type(run, "aws:autoscaling/schedule:Schedule")
    assert [r.name for r in by_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")] == []


def _args(**overrides) -> dict:
    service = {"name": "web", "type": "web", "image": "r@sha256:" + "3" * 64, "command": "serve", "ports": ["8000:8000"],
               "target_group_arn": "arn:tg", "target_group_arn_suffix": "targetgroup/x/1"}
    args = {"stack": "qa", "instance_types": ["t3.small"], "min_size": 1, "max_size": 2, "image_id": "ami-1",
            "secrets_key_arn": "arn:key", "vpc_id": "vpc-1", "subnet_ids": ["subnet-a"], "services": [service],
            "load_balancer_security_group_id": "sg-alb", "load_balancer_arn_suffix": "app/x/1"}
    return {**args, **overrides}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"spot": {}, "warm_pool": {}}, "spot and warm_pool cannot be combined"),
        ({"instance_types": ["t3.small", "t3.medium"], "warm_pool": {}}, "warm_pool needs exactly one instance type"),
        ({"instance_types": []}, "instance_types is empty"),
        ({"min_size": 3}, "needs min_size <= desired_capacity <= max_size"),
        ({"load_balancer_security_group_id": None}, "routed services (web) need load_balancer_security_group_id"),
        ({"requests_per_target": 100, "load_balancer_arn_suffix": None}, "requests_per_target needs load_balancer_arn_suffix"),
        ({"services": [{"name": "web", "type": "web", "image": "r@sha256:" + "3" * 64, "command": "serve", "target_group_arn": "arn:tg"}]},
         'service "web": a routed service needs ports, the first one HOST:CONTAINER (given: None)'),
        ({"services": [{"name": "a", "type": "worker", "image": "i", "command": "c"}] * 2}, "services a are given twice"),
        ({"services": [{"name": "a", "type": "cron", "image": "i", "command": "c", "schedule": "@yearly"}]},
         'service "a": schedule "@yearly" is not a cron schedule'),
    ],
)
def test_args_the_group_or_its_hosts_would_refuse_are_refused_naming_the_fleet(overrides, message):
    args = {k: v for k, v in _args(**overrides).items() if v is not None}
    with pytest.raises(ValueError, match="^" + re.escape(f"fleet www: {message}")):
        check_args("www", args)
    check_args("www", _args())


def test_every_fleet_and_routed_service_has_its_alarms_and_they_reach_the_topic(stack_run):
    run = stack_run("prod")
    topic = one(run, "aws:sns/topic:Topic", "alerts-topic").urn
    alarms = {a.name: a.inputs for a in by_type(run, "aws:cloudwatch/metricAlarm:MetricAlarm") if a.parent.endswith(("::www", "::micro", "::worker", "::ops"))}
    expected = {f"{fleet}-alarm-{what}" for fleet in ("www", "micro", "worker", "ops") for what in ("disk", "clock", "status-check")}
    expected |= {f"{fleet}-alarm-{service}-{what}" for fleet, service in (("www", "django"), ("micro", "catalog")) for what in ("5xx", "unhealthy-hosts", "p99")}
    assert set(alarms) == expected
    for alarm in alarms.values():
        # Every alarm tells the topic when it fires and when it recovers.
        assert alarm["alarmActions"] == alarm["okActions"] == [run.outputs["alerts_topic_arn"]]
    assert topic  # the topic is this stack's
    django = {what: alarms[f"www-alarm-django-{what}"] for what in ("5xx", "unhealthy-hosts", "p99")}
    # prod's overrides (Pulumi.prod.yaml): 2% of 5xx and 1.5 s at p99; unhealthy hosts keeps the default 0.
    assert (django["5xx"]["threshold"], django["p99"]["threshold"], django["unhealthy-hosts"]["threshold"]) == (2, 1.5, 0)
    assert django["5xx"]["name"] == "showrunner-prod-django-5xx"
    rate = {q["id"]: q for q in django["5xx"]["metricQueries"]}
    assert rate["rate"]["expression"] == "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)"
    dims = rate["errors"]["metric"]["dimensions"]
    assert re.fullmatch(r"app/web-alb-\w+/\w+", dims["LoadBalancer"]) and re.fullmatch(r"targetgroup/web-django-\w+/\w+", dims["TargetGroup"])
    assert django["p99"]["extendedStatistic"] == "p99"
    disk = alarms["worker-alarm-disk"]
    assert [q["metric"]["dimensions"] for q in disk["metricQueries"][:2]] == [
        {"Stack": "prod", "Fleet": "worker", "Path": "/mnt/docker"}, {"Stack": "prod", "Fleet": "worker", "Path": "/"}]
    assert alarms["worker-alarm-status-check"]["dimensions"] == {"AutoScalingGroupName": run.outputs["fleet_groups"]["worker"]}
    clock = alarms["worker-alarm-clock"]
    assert (clock["namespace"], clock["metricName"], clock["dimensions"], clock["statistic"], clock["threshold"], clock["evaluationPeriods"]) == (
        "Showrunner/Host", "ClockOffsetSeconds", {"Stack": "prod", "Fleet": "worker"}, "Maximum", 1.0, 5)


def test_hosts_report_their_fleet_for_the_disk_alarm(stack_run):
    user_data = _user_data(stack_run("prod"), "worker")
    assert "SHOWRUNNER_STACK=prod\n    SHOWRUNNER_SSM_PREFIX=/showrunner/prod\n    AWS_REGION=us-east-1\n    SHOWRUNNER_FLEET=worker\n" in user_data
