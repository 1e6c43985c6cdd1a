"""The example programs: other products built from the installed components, previewed offline.

`make preview-examples` previews each on every stack file it has; here each runs under the same
offline engine, with assertions on what it registers.
"""

from __future__ import annotations

import ast
import json
import subprocess

import pytest

from showrunner import cli, engine, policy
from showrunner.mocks import REGION, SECRET, _ssm_parameter
from tests.conftest import PROJECT_DIR, one

EXAMPLES_DIR = PROJECT_DIR / "examples"
EXAMPLE_STACKS = sorted(
    (project.name, path.name.removeprefix("Pulumi.").removesuffix(".yaml"))
    for project in EXAMPLES_DIR.iterdir()
    if (project / "Pulumi.yaml").is_file()
    for path in project.glob("Pulumi.*.yaml")
)
STATUSPAGE = EXAMPLES_DIR / "statuspage"


@pytest.fixture(scope="module")
def statuspage() -> engine.StackRun:
    return engine.run_stack(STATUSPAGE, "prod")


def test_there_is_an_example_with_a_stack_file():
    assert ("statuspage", "prod") in EXAMPLE_STACKS


@pytest.mark.parametrize(("example", "stack"), EXAMPLE_STACKS)
def test_every_example_previews_offline_and_passes_the_policy_pack(example, stack, capsys):
    code = cli.main(["--project-dir", str(EXAMPLES_DIR / example), "preview", "--stack", stack])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Policies: showrunner-policies" in out and " passed on " in out


@pytest.mark.parametrize(("example", "stack"), EXAMPLE_STACKS)
def test_make_preview_examples_previews_every_example_stack(example, stack):
    commands = subprocess.run(["make", "--no-print-directory", "-n", "preview-examples"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert f"--project-dir examples/{example}/ preview --stack {stack};" in commands.stdout


@pytest.mark.parametrize("example", sorted({example for example, _ in EXAMPLE_STACKS}))
def test_an_example_imports_the_components_and_never_this_program(example):
    imported = set()
    for path in (EXAMPLES_DIR / example).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
    assert not {m for m in imported if m == "showrunner" or m.startswith("showrunner.")}
    assert any(m.startswith("showrunner_components.") for m in imported)


def test_statuspage_has_its_own_repository_and_image_build(statuspage):
    repository = one(statuspage, "aws:ecr/repository:Repository", "images-statuspage").inputs
    assert repository["name"] == "statuspage/prod/statuspage"
    # Every tag immutable but the registry cache's (ImagePipeline's default), which no host runs.
    assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository["imageTagMutabilityExclusionFilters"] == [{"filter": "build-cache", "filterType": "WILDCARD"}]
    image = one(statuspage, "docker:index/image:Image", "images-statuspage").inputs
    # The engine runs a program in its project directory, as the Pulumi CLI does.
    assert image["build"]["context"] == "images/statuspage"
    assert (STATUSPAGE / image["build"]["dockerfile"]).is_file()
    assert image["imageName"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/statuspage/prod/statuspage:")
    assert image["registry"]["password"] == SECRET
    assert statuspage.outputs["image"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/statuspage/prod/statuspage@sha256:")


def test_statuspage_routes_its_host_name_to_its_target_group(statuspage):
    rule_resource = one(statuspage, "aws:lb/listenerRule:ListenerRule", "web-statuspage")
    group = one(statuspage, "aws:lb/targetGroup:TargetGroup", "web-statuspage")
    rule = rule_resource.inputs
    assert rule["priority"] == 10
    assert rule["conditions"] == [{"hostHeader": {"values": ["status.showrunner.example"]}}]
    [action] = rule["actions"]
    assert action["type"] == "forward" and "targetgroup/web-statuspage-" in action["targetGroupArn"]
    assert group.urn in rule_resource.dependencies
    assert group.inputs["port"] == 8080 and group.inputs["vpcId"] == "vpc-0c0ffee0c0ffee000"
    alb = one(statuspage, "aws:lb/loadBalancer:LoadBalancer", "web-alb").inputs
    assert alb["subnets"] == ["subnet-0a0000000000000a1", "subnet-0a0000000000000b1"]
    asg = one(statuspage, "aws:autoscaling/group:Group", "statuspage-asg").inputs
    assert asg["targetGroupArns"] == [action["targetGroupArn"]]


def test_statuspage_hosts_boot_the_platforms_golden_ami_and_run_the_image_by_digest(statuspage):
    template = one(statuspage, "aws:ec2/launchTemplate:LaunchTemplate", "statuspage-lt").inputs
    assert template["imageId"] == _ssm_parameter({"name": "/imagebuilder/showrunner/prod/ami-id"}, REGION)["value"]
    assert template["instanceType"] == "t3.small"
    assert template["metadataOptions"]["httpTokens"] == "required" and template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    user_data = policy.rules().decode_user_data(template["userData"])
    assert "docker run --name statuspage" in user_data and statuspage.outputs["image"] in user_data
    assert "--env STATUS_CHECKS=catalog=https://www.showrunner.example/api/catalog/channels,www=https://www.showrunner.example/healthz" in user_data
    assert "--publish 8080:8080" in user_data
    role_policy = json.loads(one(statuspage, "aws:iam/rolePolicy:RolePolicy", "statuspage-role-policy").inputs["policy"])
    pulls = [s for s in role_policy["Statement"] if "ecr:BatchGetImage" in s["Action"]]
    assert [s["Resource"] for s in pulls] == [["arn:aws:ecr:us-east-1:123456789012:repository/statuspage/prod/statuspage"]]
    asg = one(statuspage, "aws:autoscaling/group:Group", "statuspage-asg").inputs
    assert (asg["minSize"], asg["maxSize"]) == (1, 2)
    assert asg["vpcZoneIdentifiers"] == ["subnet-0b0000000000000a2", "subnet-0b0000000000000b2"]
