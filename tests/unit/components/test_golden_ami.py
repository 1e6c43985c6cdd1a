"""GoldenAmi: pure builders by exact comparison, and the resources a stack registers under mocks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from showrunner_components.golden_ami.builders import (
    notification_key_policy,
    ami_name,
    ami_parameter_name,
    build_user_data,
    builder_policy_arns,
    log_bucket_name,
    log_write_policy,
    recipe_version,
)
from showrunner_components.aws import ecr_registry
from showrunner_components.golden_ami.documents import component_version, load_documents
from showrunner.engine import run_stack
from showrunner.golden import GOLDEN_DIR, GOLDEN_DOCUMENTS
from tests.conftest import by_type, one

PARENT = "ssm:/aws/service/debian/release/12/latest/amd64"
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def test_component_version_is_derived_from_content():
    assert component_version("") == "1.0.238750788"  # int("e3b0c44", 16): SHA-256 of nothing
    assert component_version("a") != component_version("b")
    assert all(int(part) < 2**30 for part in component_version("any text").split("."))


def test_recipe_version_changes_with_every_input():
    base = (["1.0.1", "1.0.2"], PARENT, 16, "dXNlcg==", {"EcrRegistry": REGISTRY})
    versions = {
        recipe_version(*base),
        recipe_version(["1.0.1", "1.0.3"], *base[1:]),
        recipe_version(["1.0.2", "1.0.1"], *base[1:]),
        recipe_version(base[0], "ssm:/other", *base[2:]),
        recipe_version(*base[:2], 20, *base[3:]),
        recipe_version(*base[:3], "b3RoZXI=", base[4]),
        recipe_version(*base[:4], {"EcrRegistry": "210987654321.dkr.ecr.us-east-1.amazonaws.com"}),
    }
    assert len(versions) == 7
    assert recipe_version(*base) == recipe_version(*base)


def test_names_and_policies():
    assert ami_parameter_name("prod") == "/imagebuilder/showrunner/prod/ami-id"
    assert ami_name("prod") == "showrunner-prod-golden-{{ imagebuilder:buildDate }}"
    assert ecr_registry("123456789012", "us-east-1") == REGISTRY
    assert log_bucket_name("prod", "123456789012") == "showrunner-prod-imagebuilder-logs-123456789012"
    assert log_write_policy("logs-bucket") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteImageBuilderLogs",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": ["arn:aws:s3:::logs-bucket/imagebuilder/*"],
            }
        ],
    }


def test_names_and_arns_follow_the_project_and_the_partition():
    assert ami_parameter_name("prod", project="acme") == "/imagebuilder/acme/prod/ami-id"
    assert log_bucket_name("prod", "123456789012", project="acme") == "acme-prod-imagebuilder-logs-123456789012"
    assert ami_name("prod", project="acme") == "acme-prod-golden-{{ imagebuilder:buildDate }}"
    assert ecr_registry("123456789012", "cn-north-1", "amazonaws.com.cn") == "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"
    assert log_write_policy("logs", partition="aws-cn")["Statement"][0]["Resource"] == ["arn:aws-cn:s3:::logs/imagebuilder/*"]
    assert builder_policy_arns("aws-us-gov") == {
        "imagebuilder": "arn:aws-us-gov:iam::aws:policy/EC2InstanceProfileForImageBuilder",
        "ssm": "arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }


def test_build_user_data_installs_the_ssm_agent_first():
    script = base64.b64decode(build_user_data(GOLDEN_DIR)).decode()
    assert script.startswith("#!/bin/bash\nset -euo pipefail\n")
    assert "https://s3.$region.amazonaws.com/amazon-ssm-$region/latest/debian_amd64/amazon-ssm-agent.deb" in script
    assert "X-aws-ec2-metadata-token" in script  # IMDSv2: the build instance requires tokens


# --- the component under mocks -------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents():
    return {d.key: d for d in load_documents(GOLDEN_DIR, GOLDEN_DOCUMENTS)}


def test_one_component_per_document_with_rendered_data_and_version(stack_run, documents):
    run = stack_run("prod")
    components = {r.name: r.inputs for r in by_type(run, "aws:imagebuilder/component:Component")}
    assert sorted(components) == sorted(f"golden-ami-{key}" for key in documents)
    for key, document in documents.items():
        inputs = components[f"golden-ami-{key}"]
        assert (inputs["name"], inputs["platform"], inputs["version"]) == (f"showrunner-prod-{key}", "Linux", document.version)
        assert inputs["data"] == document.text
        assert yaml.safe_load(inputs["data"])["schemaVersion"] == 1.0


def test_recipe_debian_parent_encrypted_gp3_content_version(stack_run, documents):
    run = stack_run("prod")
    recipe = one(run, "aws:imagebuilder/imageRecipe:ImageRecipe", "golden-ami-recipe")
    inputs = recipe.inputs
    assert inputs["parentImage"] == PARENT
    assert inputs["blockDeviceMappings"] == [
        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 16, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"}}
    ]
    assert inputs["version"] == recipe_version(
        [d.version for d in documents.values()], PARENT, 16, build_user_data(GOLDEN_DIR), {"EcrRegistry": REGISTRY}
    )
    assert [c["componentArn"].split("/")[1] for c in inputs["components"]] == [f"showrunner-prod-{k}" for k in documents]
    params = {c["componentArn"].split("/")[1]: c["parameters"] for c in inputs["components"]}
    assert params["showrunner-prod-host-access"] == [{"name": "EcrRegistry", "value": REGISTRY}]
    assert inputs["systemsManagerAgent"] == {"uninstallAfterBuild": False}
    assert inputs["userDataBase64"] == build_user_data(GOLDEN_DIR)
    component_urns = sorted(r.urn for r in by_type(run, "aws:imagebuilder/component:Component"))
    assert sorted(recipe.replace_with) == component_urns


def test_infrastructure_terminates_on_failure_with_imdsv2_logs_and_notifications(stack_run):
    run = stack_run("prod")
    inputs = one(run, "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration", "golden-ami-infrastructure").inputs
    assert inputs["terminateInstanceOnFailure"] is True
    assert inputs["instanceMetadataOptions"] == {"httpTokens": "required", "httpPutResponseHopLimit": 2}
    assert inputs["logging"]["s3Logs"]["s3KeyPrefix"] == "imagebuilder"
    assert inputs["snsTopicArn"] == one(run, "aws:sns/topic:Topic", "golden-ami-notifications").inputs["name"].join(
        ["arn:aws:sns:us-east-1:123456789012:", ""]
    )
    assert "imagebuilder" in inputs["instanceProfileName"]
    assert inputs["instanceTypes"] == ["m7i.large"]
    assert inputs["subnetId"].startswith("subnet-")
    # Image Builder refuses a subnet without security groups: the build instance gets its own.
    group = one(run, "aws:ec2/securityGroup:SecurityGroup", "golden-ami-build-sg")
    assert len(inputs["securityGroupIds"]) == 1 and group.inputs["vpcId"].startswith("vpc-")
    assert inputs["securityGroupIds"][0].startswith("sg-")
    egress = sorted((r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["cidrIpv4"]) for r in by_type(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                    if r.name.startswith("golden-ami-build-sg-out-"))
    assert egress == [("tcp", 80, "0.0.0.0/0"), ("tcp", 443, "0.0.0.0/0")]
    assert not [r for r in by_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.name.startswith("golden-ami-")]


def test_notifications_are_encrypted_with_a_key_image_builder_may_use(stack_run):
    run = stack_run("prod")
    key = one(run, "aws:kms/key:Key", "golden-ami-notifications-key").inputs
    assert key["enableKeyRotation"] is True
    assert json.loads(key["policy"]) == notification_key_policy("123456789012")
    topic = one(run, "aws:sns/topic:Topic", "golden-ami-notifications").inputs
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    publisher = notification_key_policy("123456789012")["Statement"][1]
    assert publisher["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"}
    assert publisher["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_a_subnet_without_a_vpc_or_security_groups_is_refused(tmp_path):
    import pulumi

    from showrunner_components.golden_ami import GoldenAmi

    @pulumi.runtime.test
    def build():
        with pytest.raises(ValueError, match="subnet_id needs vpc_id or security_group_ids; Image Builder refuses a subnet without security groups"):
            GoldenAmi("g", {"stack": "qa", "documents_dir": str(GOLDEN_DIR), "subnet_id": "subnet-1"})

    from showrunner.mocks import ShowrunnerMocks
    pulumi.runtime.set_mocks(ShowrunnerMocks("qa"), preview=True)
    build()


def test_build_role_has_the_two_managed_policies_and_log_writes_only(stack_run):
    run = stack_run("prod")
    attached = sorted(r.inputs["policyArn"] for r in by_type(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.name.startswith("golden-ami-"))
    assert attached == [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder",
    ]
    policy = json.loads(one(run, "aws:iam/rolePolicy:RolePolicy", "golden-ami-build-logs").inputs["policy"])
    assert policy == log_write_policy("showrunner-prod-imagebuilder-logs-123456789012")
    bucket = one(run, "aws:s3/bucket:Bucket", "golden-ami-logs").inputs
    assert bucket["bucket"] == "showrunner-prod-imagebuilder-logs-123456789012"
    block = one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "golden-ami-logs-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))


def test_distribution_writes_the_ami_id_to_an_ssm_parameter(stack_run):
    run = stack_run("prod")
    inputs = one(run, "aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "golden-ami-distribution").inputs
    (distribution,) = inputs["distributions"]
    assert distribution["region"] == "us-east-1"
    assert distribution["ssmParameterConfigurations"] == [{"parameterName": "/imagebuilder/showrunner/prod/ami-id", "dataType": "aws:ec2:image"}]
    assert distribution["amiDistributionConfiguration"]["name"] == "showrunner-prod-golden-{{ imagebuilder:buildDate }}"
    assert distribution["amiDistributionConfiguration"]["amiTags"]["Role"] == "golden-ami"
    assert distribution["amiDistributionConfiguration"]["amiTags"]["Environment"] == "prod"


def test_pipeline_weekly_with_image_tests(stack_run):
    run = stack_run("prod")
    inputs = one(run, "aws:imagebuilder/imagePipeline:ImagePipeline", "golden-ami-pipeline").inputs
    assert inputs["schedule"] == {"scheduleExpression": "cron(0 4 ? * sun *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"}
    assert inputs["imageTestsConfiguration"] == {"imageTestsEnabled": True, "timeoutMinutes": 90}
    assert inputs["status"] == "ENABLED"
    assert inputs["imageRecipeArn"].endswith(f"/showrunner-prod-golden/{one(run, 'aws:imagebuilder/imageRecipe:ImageRecipe', 'golden-ami-recipe').inputs['version']}")


def test_outputs_the_parameter_name_and_the_ami_id_read_from_it(stack_run):
    outputs = stack_run("prod").outputs
    assert outputs["golden_ami_parameter"] == "/imagebuilder/showrunner/prod/ami-id"
    assert outputs["golden_ami_id"].startswith("ami-")


def test_bootstrap_creates_the_pipeline_without_reading_the_ami(tmp_path, project_dir):
    stack_file = tmp_path / "Pulumi.staging.yaml"
    config = yaml.safe_load((Path(project_dir) / "Pulumi.staging.yaml").read_text())
    config["config"]["showrunner:golden_ami"] = {"bootstrap": True}
    stack_file.write_text(yaml.safe_dump(config))
    run = run_stack(project_dir, "staging", stack_file)
    assert "golden_ami_id" not in run.outputs
    assert run.outputs["golden_ami_parameter"] == "/imagebuilder/showrunner/staging/ami-id"
    assert len(by_type(run, "aws:imagebuilder/imagePipeline:ImagePipeline")) == 1
    assert by_type(run, "aws:ec2/launchTemplate:LaunchTemplate") == []
