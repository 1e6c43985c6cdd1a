"""GoldenAmi: EC2 Image Builder on a Debian 12 parent, from a folder of component documents.

2015 baked hosts with Packer and a chef-client provisioner. Here the same job is Image Builder
component documents (`<documents_dir>/components/*.yml`, rendered by `documents`) applied to a
parent image by a weekly pipeline; the distribution writes the newest AMI id to an SSM parameter,
which `ami_id` reads.

The pure builders are `documents` (render, validate, version) and `builders` (names, recipe
version, log policy, user data); this module only turns their results into resources.
"""

import json
from pathlib import Path
from typing import NotRequired, Optional, TypedDict

import pulumi
import pulumi_aws as aws

from showrunner_components.aws import ROOT_DEVICE, ec2_trust_policy, ecr_registry
from showrunner_components.golden_ami.builders import (
    LOG_PREFIX,
    ami_name,
    ami_parameter_name,
    build_user_data,
    builder_policy_arns,
    log_bucket_name,
    log_write_policy,
    notification_key_policy,
    recipe_version,
)
from showrunner_components.golden_ami.documents import Document, load_documents
from showrunner_components.tagging import merge_tags

def failed_build_pattern(partition: str, region: str, account: str, recipe: str) -> dict:
    """Image Builder's "Image State Change" events for this recipe's images that end FAILED
    (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-imagebuilder.html); an image's
    ARN is `…:image/<recipe name>/<version>/<build>`."""
    return {
        "source": ["aws.imagebuilder"],
        "detail-type": ["EC2 Image Builder Image State Change"],
        "resources": [{"prefix": f"arn:{partition}:imagebuilder:{region}:{account}:image/{recipe}/"}],
        "detail": {"state": {"status": ["FAILED"]}},
    }


REGISTRY_PARAMETER = "EcrRegistry"
"""A document that declares this parameter receives the account's ECR registry host."""


class GoldenAmiArgs(TypedDict):
    stack: str
    """The stack the image is for: part of every name (`<project>-<stack>-…`) and of the AMI parameter."""
    documents_dir: str
    """The folder holding `components/*.yml` (the Image Builder component documents), the `files/`
    and `scripts/` they install or run, and `scripts/install-ssm-agent` (the build instance's user data)."""
    project: NotRequired[str]
    """The first part of every name. Default: `showrunner`."""
    documents: NotRequired[list[str]]
    """The documents (file names without `.yml`) in recipe order. Default: every `components/*.yml`, by name."""
    ami_description: NotRequired[str]
    """The description of every AMI the pipeline distributes. Default: `<project> <stack> fleet host`."""
    parent_image_parameter: NotRequired[str]
    """The SSM parameter naming the parent AMI. Default: `/aws/service/debian/release/12/latest/amd64`."""
    schedule: NotRequired[str]
    """When the pipeline builds, even if the parent did not change. Default: `cron(0 4 ? * sun *)`, weekly."""
    build_instance_types: NotRequired[list[str]]
    """The build instance's types, the first preferred. Default: `[m7i.large]`."""
    root_volume_size: NotRequired[int]
    """GiB of the image's encrypted gp3 root volume. Default: 16."""
    log_retention_days: NotRequired[int]
    """Days the build logs stay in the log bucket. Default: 90."""
    bootstrap: NotRequired[bool]
    """True only for a stack's first deploy, before the pipeline has produced an AMI: `ami_id` is
    then not read (it is null). Default: false, `ami_id` is read from the parameter."""
    subnet_id: NotRequired[pulumi.Input[str]]
    """The build instance's subnet. Default: Image Builder picks a subnet of the default VPC. Give a
    private subnet with a NAT route, and `vpc_id` or `security_group_ids` with it: Image Builder
    refuses a subnet without security groups."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """The VPC of `subnet_id`: the build instance gets a security group of its own there, with no
    ingress and egress on TCP 80 and 443 only (packages, SSM, S3, ECR). Default: none."""
    security_group_ids: NotRequired[pulumi.Input[list[str]]]
    """The build instance's security groups, instead of the one made in `vpc_id`. Default: with
    `subnet_id`, that one; without, the default VPC's default security group."""
    permissions_boundary: NotRequired[pulumi.Input[str]]
    """The managed policy the build role carries as its permissions boundary. Default: none."""
    alert_topic_arn: NotRequired[pulumi.Input[str]]
    """An SNS topic (`Alerts.topic_arn`) told of every failed build, by an EventBridge rule on the
    pipeline's images. Default: no rule; only the build's own topic hears of it."""
    tags: NotRequired[dict[str, str]]
    """Tags on every resource and on the AMI (which also gets `Role: golden-ami`). Default: none."""


class GoldenAmi(pulumi.ComponentResource):
    """Components, recipe, infrastructure and distribution configuration, and a weekly pipeline."""

    ami_id: pulumi.Output[Optional[str]]
    """The newest AMI id, read from `ami_parameter_name`. Null while `bootstrap`."""
    ami_parameter_name: pulumi.Output[str]
    """The SSM parameter the distribution writes the AMI id to."""
    pipeline_arn: pulumi.Output[str]
    """The Image Builder pipeline (start a build: `aws imagebuilder start-image-pipeline-execution`)."""
    build_role_arn: pulumi.Output[str]
    """The build instance's role: whoever creates the infrastructure configuration passes it to EC2."""

    def __init__(self, name: str, args: GoldenAmiArgs, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:golden_ami:GoldenAmi")])
        )
        super().__init__("showrunner:index:GoldenAmi", name, None, opts)
        project, stack = args.get("project", "showrunner"), args["stack"]
        prefix = f"{project}-{stack}"
        tags = args.get("tags", {})
        documents_dir = Path(args["documents_dir"])
        documents = load_documents(documents_dir, args.get("documents"))
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke)

        components = self._components(name, prefix, documents, tags)
        bucket_name = identity.account_id.apply(lambda account: log_bucket_name(stack, account, project))
        logs = self._logs(name, bucket_name, args.get("log_retention_days", 90), tags)
        notifications = self._notifications(name, prefix, identity.account_id, partition.partition, tags)
        role, profile = self._build_profile(name, prefix, partition.partition, bucket_name, args.get("permissions_boundary"), tags)
        infrastructure = aws.imagebuilder.InfrastructureConfiguration(
            f"{name}-infrastructure",
            name=f"{prefix}-golden-ami",
            instance_profile_name=profile.name,
            instance_types=args.get("build_instance_types", ["m7i.large"]),
            terminate_instance_on_failure=True,
            instance_metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 2},
            logging={"s3_logs": {"s3_bucket_name": logs.id, "s3_key_prefix": LOG_PREFIX}},
            sns_topic_arn=notifications.arn,
            subnet_id=args.get("subnet_id"),
            security_group_ids=self._security_groups(name, args, tags),
            resource_tags=tags,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        registry = pulumi.Output.all(identity.account_id, region, partition.dns_suffix).apply(lambda v: ecr_registry(*v))
        recipe = self._recipe(name, prefix, args, documents, components, registry, build_user_data(documents_dir), tags)

        parameter_name = ami_parameter_name(stack, project)
        distribution = aws.imagebuilder.DistributionConfiguration(
            f"{name}-distribution",
            name=f"{prefix}-golden-ami",
            distributions=[
                {
                    "region": region,
                    "ami_distribution_configuration": {
                        "name": ami_name(stack, project),
                        "description": args.get("ami_description", f"{project} {stack} fleet host"),
                        "ami_tags": {**tags, "Role": "golden-ami"},
                    },
                    "ssm_parameter_configurations": [{"parameter_name": parameter_name, "data_type": "aws:ec2:image"}],
                }
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        pipeline = aws.imagebuilder.ImagePipeline(
            f"{name}-pipeline",
            name=f"{prefix}-golden-ami",
            image_recipe_arn=recipe.arn,
            infrastructure_configuration_arn=infrastructure.arn,
            distribution_configuration_arn=distribution.arn,
            schedule={
                "schedule_expression": args.get("schedule", "cron(0 4 ? * sun *)"),
                # Weekly even when the parent did not change: the build takes Debian's security updates.
                "pipeline_execution_start_condition": "EXPRESSION_MATCH_ONLY",
            },
            image_tests_configuration={"image_tests_enabled": True, "timeout_minutes": 90},
            enhanced_image_metadata_enabled=True,
            status="ENABLED",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        if "alert_topic_arn" in args:
            self._failed_builds(name, f"{prefix}-golden", region, identity.account_id, partition.partition, args["alert_topic_arn"], tags)

        self.pipeline_arn = pipeline.arn
        self.build_role_arn = role.arn
        self.ami_parameter_name = pipeline.arn.apply(lambda _: parameter_name)
        if args.get("bootstrap", False):
            self.ami_id = pulumi.Output.from_input(None)
        else:
            self.ami_id = aws.ssm.get_parameter_output(name=self.ami_parameter_name, opts=invoke).insecure_value
        self.register_outputs({"ami_id": self.ami_id, "ami_parameter_name": self.ami_parameter_name, "pipeline_arn": self.pipeline_arn,
                               "build_role_arn": self.build_role_arn})

    def _security_groups(self, name: str, args: GoldenAmiArgs, tags: dict[str, str]) -> pulumi.Input[list[str]] | None:
        """The given groups; else, with a subnet, one of its own in `vpc_id` (outbound HTTP and HTTPS only)."""
        if "security_group_ids" in args or "subnet_id" not in args:
            return args.get("security_group_ids")
        if "vpc_id" not in args:
            raise ValueError(f"golden ami {name}: subnet_id needs vpc_id or security_group_ids; Image Builder refuses a subnet without security groups")
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-build-sg",
            vpc_id=args["vpc_id"],
            description="golden AMI build instance: no ingress; HTTP and HTTPS out for packages, SSM, S3 and ECR",
            tags=merge_tags(tags, f"{name}-build-sg"),
            opts=child,
        )
        for port in (80, 443):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-build-sg-out-{port}", security_group_id=group.id, ip_protocol="tcp", from_port=port, to_port=port,
                cidr_ipv4="0.0.0.0/0", description=f"tcp {port} out", opts=child,
            )
        return [group.id]

    def _notifications(self, name: str, prefix: str, account: pulumi.Output[str], partition: pulumi.Output[str], tags: dict[str, str]) -> aws.sns.Topic:
        """The build notifications, encrypted with a key Image Builder may publish with."""
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-notifications-key",
            description=f"{prefix}: golden AMI build notifications",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, partition).apply(lambda v: json.dumps(notification_key_policy(v[0], v[1]))),
            tags=tags,
            opts=child,
        )
        return aws.sns.Topic(f"{name}-notifications", name=f"{prefix}-golden-ami", kms_master_key_id=key.arn, tags=tags, opts=child)

    def _failed_builds(self, name: str, recipe: str, region, account, partition, topic_arn, tags: dict[str, str]) -> None:
        """An EventBridge rule on this recipe's images turning FAILED, sent to the alert topic."""
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            f"{name}-failed-builds",
            name=f"{recipe}-failed",
            description=f"A {recipe} image build failed",
            event_pattern=pulumi.Output.all(partition, region, account).apply(lambda v: json.dumps(failed_build_pattern(v[0], v[1], v[2], recipe))),
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(f"{name}-failed-builds-alert", rule=rule.name, arn=topic_arn, opts=child)

    def _components(self, name: str, prefix: str, documents: list[Document], tags: dict[str, str]) -> list[aws.imagebuilder.Component]:
        """One Image Builder component per rendered document, versioned by its content."""
        return [
            aws.imagebuilder.Component(
                f"{name}-{document.key}",
                name=f"{prefix}-{document.key}",
                platform="Linux",
                version=document.version,
                data=document.text,
                description=document.description,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for document in documents
        ]

    def _logs(self, name: str, bucket_name: pulumi.Output[str], retention_days: int, tags: dict[str, str]) -> aws.s3.Bucket:
        """The build-log bucket: private, logs expire after `retention_days`."""
        child = pulumi.ResourceOptions(parent=self)
        logs = aws.s3.Bucket(f"{name}-logs", bucket=bucket_name, tags=tags, opts=child)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-logs-public-access",
            bucket=logs.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs-expiry",
            bucket=logs.id,
            rules=[
                {
                    "id": "expire-build-logs",
                    "status": "Enabled",
                    "filter": {"prefix": f"{LOG_PREFIX}/"},
                    "expiration": {"days": retention_days},
                }
            ],
            opts=child,
        )
        return logs

    def _build_profile(self, name: str, prefix: str, partition: pulumi.Output[str], bucket_name: pulumi.Output[str],
                       boundary: pulumi.Input[str] | None, tags: dict[str, str]) -> tuple[aws.iam.Role, aws.iam.InstanceProfile]:
        """The build instance's role: Image Builder's and Session Manager's managed policies, and log writes."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-build-role",
            name=f"{prefix}-imagebuilder-build",
            assume_role_policy=partition.apply(lambda p: json.dumps(ec2_trust_policy(p))),
            permissions_boundary=boundary,
            tags=tags,
            opts=child,
        )
        for policy_key in builder_policy_arns():
            aws.iam.RolePolicyAttachment(
                f"{name}-build-{policy_key}",
                role=role.name,
                policy_arn=partition.apply(lambda p, key=policy_key: builder_policy_arns(p)[key]),
                opts=child,
            )
        aws.iam.RolePolicy(
            f"{name}-build-logs",
            role=role.id,
            policy=pulumi.Output.all(bucket_name, partition).apply(lambda v: json.dumps(log_write_policy(v[0], partition=v[1]))),
            opts=child,
        )
        return role, aws.iam.InstanceProfile(f"{name}-build-profile", name=f"{prefix}-imagebuilder", role=role.name, tags=tags, opts=child)

    def _recipe(
        self,
        name: str,
        prefix: str,
        args: GoldenAmiArgs,
        documents: list[Document],
        components: list[aws.imagebuilder.Component],
        registry: pulumi.Output[str],
        user_data: str,
        tags: dict[str, str],
    ) -> aws.imagebuilder.ImageRecipe:
        """The parent, the components in order (with the registry parameter), the root volume."""
        parent_image = f"ssm:{args.get('parent_image_parameter', '/aws/service/debian/release/12/latest/amd64')}"
        root_volume_size = args.get("root_volume_size", 16)
        versions = [document.version for document in documents]
        return aws.imagebuilder.ImageRecipe(
            f"{name}-recipe",
            name=f"{prefix}-golden",
            parent_image=parent_image,
            version=registry.apply(
                lambda host: recipe_version(versions, parent_image, root_volume_size, user_data, {REGISTRY_PARAMETER: host})
            ),
            components=[
                {
                    "component_arn": component.arn,
                    "parameters": registry.apply(
                        lambda host, doc=document: [{"name": REGISTRY_PARAMETER, "value": host}] if REGISTRY_PARAMETER in doc.parameters else []
                    ),
                }
                for component, document in zip(components, documents)
            ],
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_size": root_volume_size,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            systems_manager_agent={"uninstall_after_build": False},
            user_data_base64=user_data,
            working_directory="/var/tmp",
            tags=tags,
            # A changed component replaces the recipe under a new version; the pipeline then moves to
            # it in place before the old recipe is deleted (no ResourceDependencyException).
            opts=pulumi.ResourceOptions(parent=self, replace_with=components),
        )
