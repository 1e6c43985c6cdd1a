"""Tags: Environment, Service and ManagedBy on every taggable resource (advisory)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .model import Resource, as_list, describe, is_unknown

REQUIRED_TAGS = ("Environment", "Service", "ManagedBy")
# Resources AWS lets us tag but whose pulumi-aws inputs may leave `tags` out entirely.
TAGGABLE_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance", "aws:ec2/natGateway:NatGateway",
        "aws:ec2/internetGateway:InternetGateway", "aws:ec2/eip:Eip", "aws:ec2/routeTable:RouteTable",
        "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
        "aws:ecr/repository:Repository", "aws:kms/key:Key", "aws:ssm/parameter:Parameter",
        "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/instanceProfile:InstanceProfile",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
        "aws:autoscaling/group:Group", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/logGroup:LogGroup",
        "aws:imagebuilder/imagePipeline:ImagePipeline", "aws:imagebuilder/imageRecipe:ImageRecipe",
        "aws:imagebuilder/component:Component", "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
        "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
        "aws:rds/instance:Instance", "aws:dynamodb/table:Table", "aws:sqs/queue:Queue",
    }
)


def _tag_keys(resource: Resource) -> set[str] | None:
    tags = resource.props.get("tags")
    if is_unknown(tags):
        return None
    if resource.type == "aws:autoscaling/group:Group":
        return {str(t.get("key")) for t in as_list(tags) if isinstance(t, Mapping)}
    return {str(k) for k in tags} if isinstance(tags, Mapping) else set()


def check_tags(resource: Resource) -> Iterator[str]:
    if not resource.type.startswith("aws:") or resource.type.startswith("pulumi:providers"):
        return
    if resource.type not in TAGGABLE_TYPES and "tags" not in resource.props:
        return
    keys = _tag_keys(resource)
    if keys is None:
        return
    missing = [t for t in REQUIRED_TAGS if t not in keys]
    if missing:
        yield (
            f"{resource.label}: lacks the tag{'s' if len(missing) > 1 else ''} {describe(missing)}; "
            "pass tags=merge_tags(stack tags, Service=...) from components.tagging"
        )
