"""The component package another language's program adds (`pulumi package add ./components`).

Its schema is typed and described, the plugin in `components/` serves it over gRPC, and each hosted
component is constructed from camelCase inputs, as the engine sends them, under the offline mocks.
The engine itself cannot run here.
"""

from __future__ import annotations

import functools
import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pulumi.errors import InputPropertyError

from showrunner import cli
from showrunner_components import provider
from tests.conftest import PROJECT_DIR
from tests.unit.under_mocks import run_program

COMPONENTS_DIR = PROJECT_DIR / "components"
HOSTED = ["Fleet", "ImagePipeline", "GoldenAmi", "LoadBalancer", "Network", "State", "ServiceSecrets", "Delivery", "PermissionsBoundary",
          "Alerts", "Dashboard"]
STATES_HOW_IT_DEFAULTS = re.compile(r"Default|Needed with|needed with|Required when|Only for")
"""An optional input's description says what happens without it, or when it is needed."""


@pytest.fixture(scope="module")
def schema() -> dict:
    return provider.schema()


def _token(component: str) -> str:
    return f"showrunner:index:{component}"


def _properties(schema: dict):
    """(where, name, property, required) for every input and output of every component and every type."""
    for token, resource in schema["resources"].items():
        for name, prop in resource.get("inputProperties", {}).items():
            yield f"{token} input", name, prop, name in resource.get("requiredInputs", [])
        for name, prop in resource.get("properties", {}).items():
            yield f"{token} output", name, prop, name in resource.get("required", [])
    for token, type_ in schema["types"].items():
        for name, prop in type_.get("properties", {}).items():
            yield token, name, prop, name in type_.get("required", [])


def _gaps(where: str, prop: dict) -> list[str]:
    """What a property (or its items, or its map values) lacks: a type, a description, clean text."""
    gaps = []
    if not prop.get("type") and not prop.get("$ref"):
        gaps.append(f"{where}: no type")
    description = prop.get("description") or ""
    if not description.strip():
        gaps.append(f"{where}: no description")
    if any(line != line.lstrip() for line in description.splitlines()):
        gaps.append(f"{where}: description keeps its docstring's indentation")
    for nested in ("items", "additionalProperties"):
        if nested in prop:
            gaps += _gaps(f"{where} {nested}", prop[nested])
    return gaps


# --- the schema ----------------------------------------------------------------------------------


def test_every_component_is_hosted_under_the_type_token_it_registers(schema):
    assert sorted(schema["resources"]) == sorted(_token(c) for c in HOSTED)
    assert (schema["name"], schema["version"]) == ("showrunner", "0.1.0")
    for cls in provider.HOSTED:
        resource = schema["resources"][_token(cls.__name__)]
        assert resource["isComponent"] is True
        assert resource["description"].strip(), f"{cls.__name__} has no class docstring"
    for token, type_ in schema["types"].items():
        assert (type_.get("description") or "").strip(), f"{token} has no class docstring"


def test_every_hosted_component_has_typed_described_inputs_and_outputs(schema):
    gaps = [gap for where, name, prop, _ in _properties(schema) for gap in _gaps(f"{where} {name}", prop)]
    assert gaps == []
    for component in HOSTED:
        resource = schema["resources"][_token(component)]
        assert resource["inputProperties"] and resource["properties"], component


def test_required_inputs_are_what_a_caller_must_give_and_optional_ones_say_their_default(schema):
    required = {c: schema["resources"][_token(c)].get("requiredInputs", []) for c in HOSTED}
    assert required == {
        "Fleet": ["imageId", "instanceTypes", "maxSize", "minSize", "secretsKeyArn", "services", "stack", "subnetIds", "vpcId"],
        "ImagePipeline": ["images", "repositoryPrefix"],
        "GoldenAmi": ["documentsDir", "stack"],
        "LoadBalancer": ["certificateArn", "subnetIds", "vpcId"],
        "Network": [],
        "State": ["stack", "subnetIds", "vpcId"],
        "ServiceSecrets": ["stack"],
        "Delivery": ["githubRepository", "stack", "stateBucket"],
        "PermissionsBoundary": ["repositoryPrefix", "stack"],
        "Alerts": ["stack"],
        "Dashboard": ["stack"],
    }
    wrong = []
    for where, name, prop, is_required in _properties(schema):
        if " output" in where or "Endpoint" in where:
            continue  # outputs and the output-only endpoint types have no defaults to state
        if is_required and "Default:" in prop.get("description", ""):
            wrong.append(f"{where} {name}: required, yet its description gives a default")
        if not is_required and not STATES_HOW_IT_DEFAULTS.search(prop.get("description", "")):
            wrong.append(f"{where} {name}: optional, and its description does not say its default")
    assert wrong == []


def test_values_that_decide_which_resources_exist_are_plain_and_ids_may_be_outputs(schema):
    fleet = schema["resources"][_token("Fleet")]["inputProperties"]
    assert fleet["services"].get("plain") is True and fleet["minSize"].get("plain") is True
    assert "plain" not in fleet["imageId"] and "plain" not in fleet["subnetIds"]
    service = schema["types"][_token("FleetService")]["properties"]
    assert "plain" not in service["image"] and service["name"].get("plain") is True


def test_showrunner_schema_prints_the_schema_as_json(capsys, schema):
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema


# --- the plugin in components/ -------------------------------------------------------------------


def test_the_plugin_serves_the_schema_over_grpc_from_its_own_directory(tmp_path, schema):
    """What `pulumi package add ./components` runs: `python components/ <engine address>`, then GetSchema."""
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    plugin = subprocess.Popen(
        [sys.executable, str(COMPONENTS_DIR), "127.0.0.1:1"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        ready, _, _ = select.select([plugin.stdout], [], [], 120)
        port = plugin.stdout.readline().strip() if ready else ""
        assert port.isdigit(), f"the plugin printed no port: {plugin.stderr.read() if plugin.poll() is not None else port!r}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            served = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    finally:
        plugin.terminate()
        plugin.wait(timeout=30)
    assert json.loads(served.schema) == schema
    assert info.version == schema["version"]


def test_the_plugin_manifest_names_python_and_its_virtualenv():
    manifest = yaml.safe_load((COMPONENTS_DIR / "PulumiPlugin.yaml").read_text())
    assert manifest == {"runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}}
    assert (COMPONENTS_DIR / "__main__.py").is_file()
    assert "components/venv/" in (PROJECT_DIR / ".gitignore").read_text().splitlines()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def _closure(requirements: list[str]) -> set[str]:
    """The installed distributions `requirements` need, transitively (extras left out)."""
    import importlib.metadata as metadata

    seen: set[str] = set()
    todo = [Requirement(r).name for r in requirements]
    while todo:
        name = canonicalize_name(todo.pop())
        if name not in seen:
            seen.add(name)
            for text in metadata.distribution(name).requires or []:
                requirement = Requirement(text)
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    todo.append(requirement.name)
    return seen


def test_the_plugins_requirements_are_the_components_dependencies_pinned_as_the_lock_pins_them():
    import tomllib

    plugin = _pins(COMPONENTS_DIR / "requirements.txt")
    lock = _pins(PROJECT_DIR / "requirements.lock")
    dependencies = tomllib.loads((COMPONENTS_DIR / "pyproject.toml").read_text())["project"]["dependencies"]
    assert set(plugin) == _closure(dependencies)
    assert {name: lock.get(name) for name in plugin} == plugin
    for dependency in dependencies:
        requirement = Requirement(dependency)
        assert str(requirement.specifier) == f"=={plugin[canonicalize_name(requirement.name)]}"


# --- Construct, as the engine calls it -----------------------------------------------------------

DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other/qa/jobs@sha256:" + "1" * 64
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/status/0123456789abcdef"

# Inputs under their schema names, every number a float: the wire has no integers.
CONSTRUCT = {
    "Fleet": (
        {
            "stack": "qa", "instanceTypes": ["t3.small"], "minSize": 1.0, "maxSize": 2.0, "imageId": "ami-0123456789abcdef0",
            "secretsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k", "vpcId": "vpc-1", "subnetIds": ["subnet-q1", "subnet-q2"],
            "loadBalancerSecurityGroupId": "sg-alb", "healthCheckGracePeriod": 120.0, "minFreeMb": 1024.0,
            "services": [
                {"name": "status", "type": "web", "image": DIGEST, "command": "/status", "ports": ["8080:8080"], "targetGroupArn": TARGET_GROUP},
                {"name": "prune", "type": "cron", "image": DIGEST, "command": "/status prune", "schedule": "@daily", "removeOnExit": True},
            ],
            "scheduledActions": [{"name": "evening", "recurrence": "0 18 * * *", "minSize": 2.0, "maxSize": 4.0}],
        },
        {
            ("aws:iam/role:Role", "x-role"), ("aws:iam/rolePolicy:RolePolicy", "x-role-policy"),
            ("aws:iam/instanceProfile:InstanceProfile", "x-profile"), ("aws:cloudwatch/logGroup:LogGroup", "x-logs"),
            # Each service's log group, and the hosts' alarms (the routed service has no target group suffix: no service alarms).
            ("aws:cloudwatch/logGroup:LogGroup", "x-logs-status"), ("aws:cloudwatch/logGroup:LogGroup", "x-logs-prune"),
            ("aws:cloudwatch/metricAlarm:MetricAlarm", "x-alarm-disk"), ("aws:cloudwatch/metricAlarm:MetricAlarm", "x-alarm-status-check"),
            ("aws:cloudwatch/metricAlarm:MetricAlarm", "x-alarm-clock"),
            ("aws:ec2/securityGroup:SecurityGroup", "x-sg"), ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "x-sg-out"),
            ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "x-sg-in-status"),
            ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "x-alb-out-status"),
            ("aws:ec2/launchTemplate:LaunchTemplate", "x-lt"), ("aws:autoscaling/group:Group", "x-asg"),
            ("aws:autoscaling/lifecycleHook:LifecycleHook", "x-drain"), ("aws:autoscaling/policy:Policy", "x-cpu"),
            ("aws:autoscaling/schedule:Schedule", "x-evening"),
        },
    ),
    "ImagePipeline": (
        {"repositoryPrefix": "other/qa", "images": [{"name": "micro", "context": str(PROJECT_DIR / "images" / "micro")}], "keepReleases": 5.0},
        {
            ("aws:ecr/repository:Repository", "x-micro"), ("aws:ecr/lifecyclePolicy:LifecyclePolicy", "x-micro-lifecycle"),
            ("docker:index/image:Image", "x-micro"), ("docker:index/image:Image", "x-micro-cache"),
        },
    ),
    "GoldenAmi": (
        {"stack": "qa", "documentsDir": str(PROJECT_DIR / "images" / "golden"), "documents": ["docker-engine", "host-scripts"], "rootVolumeSize": 12.0},
        {
            ("aws:imagebuilder/component:Component", "x-docker-engine"), ("aws:imagebuilder/component:Component", "x-host-scripts"),
            ("aws:imagebuilder/imageRecipe:ImageRecipe", "x-recipe"), ("aws:imagebuilder/imagePipeline:ImagePipeline", "x-pipeline"),
            ("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration", "x-infrastructure"),
            ("aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "x-distribution"),
            ("aws:iam/role:Role", "x-build-role"), ("aws:iam/instanceProfile:InstanceProfile", "x-build-profile"),
            ("aws:iam/rolePolicy:RolePolicy", "x-build-logs"), ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "x-build-imagebuilder"),
            ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "x-build-ssm"), ("aws:sns/topic:Topic", "x-notifications"),
            ("aws:kms/key:Key", "x-notifications-key"),
            ("aws:s3/bucket:Bucket", "x-logs"), ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "x-logs-expiry"),
            ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "x-logs-public-access"),
        },
    ),
    "LoadBalancer": (
        {
            "certificateArn": CERTIFICATE, "vpcId": "vpc-1", "subnetIds": ["subnet-p1", "subnet-p2"], "deregistrationDelay": 45.0,
            "routes": [{"name": "status", "port": 8080.0, "priority": 10.0, "hostHeaders": ["status.example.com"]}],
        },
        {
            ("aws:ec2/securityGroup:SecurityGroup", "x-sg"), ("aws:lb/loadBalancer:LoadBalancer", "x-alb"),
            ("aws:lb/listener:Listener", "x-https"), ("aws:lb/listener:Listener", "x-http"),
            ("aws:lb/targetGroup:TargetGroup", "x-status"), ("aws:lb/listenerRule:ListenerRule", "x-status"),
            ("aws:cloudwatch/metricAlarm:MetricAlarm", "x-alarm-elb-5xx"),
            *{("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"x-sg-in-{p}-{v}") for p in (80, 443) for v in ("v4", "v6")},
        },
    ),
    "Network": (
        {"availabilityZoneCount": 2.0, "cidrBlock": "10.30.0.0/16"},
        {
            ("aws:ec2/vpc:Vpc", "x-vpc"), ("aws:ec2/internetGateway:InternetGateway", "x-igw"), ("aws:ec2/eip:Eip", "x-nat-a"),
            ("aws:ec2/natGateway:NatGateway", "x-nat-a"), ("aws:ec2/routeTable:RouteTable", "x-public"),
            *{("aws:ec2/subnet:Subnet", f"x-{tier}-{zone}") for tier in ("public", "private") for zone in "ab"},
            *{("aws:ec2/routeTableAssociation:RouteTableAssociation", f"x-{tier}-{zone}") for tier in ("public", "private") for zone in "ab"},
            *{("aws:ec2/routeTable:RouteTable", f"x-private-{zone}") for zone in "ab"},
        },
    ),
    "State": (
        {
            "stack": "qa", "vpcId": "vpc-1", "subnetIds": ["subnet-q1", "subnet-q2"], "protect": False,
            "queues": {"names": ["celery"], "visibilityTimeoutSeconds": 300.0}, "tables": {"sessions": {"hashKey": "id"}},
        },
        {("aws:sqs/queue:Queue", "x-queue-celery"), ("aws:sqs/queue:Queue", "x-queue-celery-dlq"), ("aws:dynamodb/table:Table", "x-table-sessions"),
         ("aws:cloudwatch/metricAlarm:MetricAlarm", "x-alarm-celery-dlq-depth")},
    ),
    "ServiceSecrets": (
        {"stack": "qa", "secrets": {"status": {"API_TOKEN": "a-distinctive-t0ken"}}, "keyDeletionWindowDays": 7.0},
        {("aws:kms/key:Key", "x-key"), ("aws:kms/alias:Alias", "x-key-alias"), ("aws:ssm/parameter:Parameter", "x-status-api-token")},
    ),
    "Delivery": (
        {"stack": "qa", "githubRepository": "acme/status", "stateBucket": "acme-pulumi-state"},
        {
            ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "x-github"), ("aws:iam/role:Role", "x-preview"),
            ("aws:iam/role:Role", "x-deploy"), ("aws:iam/rolePolicy:RolePolicy", "x-preview-policy"),
            ("aws:iam/rolePolicy:RolePolicy", "x-deploy-policy"),
        },
    ),
    "PermissionsBoundary": (
        {"stack": "qa", "repositoryPrefix": "acme/qa", "keyArns": ["arn:aws:kms:us-east-1:123456789012:key/1111"]},
        {("aws:iam/policy:Policy", "x-policy")},
    ),
    "Alerts": (
        {"stack": "qa", "subscriptions": [{"protocol": "email", "endpoint": "ops@example.com"}], "logGroupPrefix": "/other/qa/"},
        {("aws:kms/key:Key", "x-key"), ("aws:kms/alias:Alias", "x-key-alias"), ("aws:sns/topic:Topic", "x-topic"),
         ("aws:sns/topicPolicy:TopicPolicy", "x-topic-policy"), ("aws:sns/topicSubscription:TopicSubscription", "x-email-3d2a6a61")},
    ),
    "Dashboard": (
        {"stack": "qa", "fleetGroupNames": {"jobs": "jobs-asg-1"}, "stores": {"queues": {"q": "q-dlq"}}},
        {("aws:cloudwatch/dashboard:Dashboard", "x-dashboard")},
    ),
}


@functools.cache
def _provider() -> provider.ShowrunnerProvider:
    return provider.ShowrunnerProvider()


def construct(component: str, inputs: dict) -> tuple[list, dict]:
    """Construct `component` named x through the provider, under mocks: (resources, its state)."""
    hosted = _provider()

    def program():
        result = hosted.construct("x", _token(component), inputs, pulumi.ResourceOptions())
        pulumi.export("state", result.state)

    resources, outputs = run_program(program)
    return resources, outputs["state"]


def test_every_hosted_component_has_a_construct_case():
    assert sorted(CONSTRUCT) == sorted(HOSTED)


@pytest.mark.parametrize("component", sorted(CONSTRUCT))
def test_construct_registers_the_component_and_its_children(component, schema):
    inputs, children = CONSTRUCT[component]
    resources, state = construct(component, inputs)
    [resource] = [r for r in resources if r.type == _token(component)]
    assert resource.name == "x"
    assert {(r.type, r.name) for r in resources if r.parent == resource.urn} == children
    assert set(schema["resources"][_token(component)]["required"]) <= set(state)


def test_construct_makes_the_wires_floats_whole_numbers_again():
    """The SDK (3.272) maps integer inputs back to floats; hosts would read `--min-free-mb 1024.0`."""
    resources, state = construct("Fleet", CONSTRUCT["Fleet"][0])
    [group] = [r for r in resources if r.type == "aws:autoscaling/group:Group"]
    preferences = group.inputs["instanceRefresh"]["preferences"]
    assert (preferences["instanceWarmup"], preferences["checkpointDelay"]) == ("120", "240")
    assert "--min-free-mb 1024 " in state["userData"]
    assert "OnCalendar=*-*-* 00:00:00" in state["userData"]


def test_construct_names_a_missing_required_input():
    inputs = {k: v for k, v in CONSTRUCT["LoadBalancer"][0].items() if k != "certificateArn"}
    with pytest.raises(InputPropertyError) as caught:
        construct("LoadBalancer", inputs)
    assert caught.value.reason == "Missing required input 'certificateArn' on 'LoadBalancer'"
