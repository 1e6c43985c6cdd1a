"""PermissionsBoundary: the stack's permissions boundary as a managed policy (see `documents`)."""

import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from showrunner_components.permissions_boundary.documents import boundary_name, boundary_policy

__all__ = ["PermissionsBoundary", "PermissionsBoundaryArgs"]


class PermissionsBoundaryArgs(TypedDict):
    stack: str
    """Names the policy (`showrunner-<stack>-boundary`) and every resource the boundary admits."""
    repository_prefix: str
    """ECR repositories hosts may pull from: `<prefix>/*` (the image pipeline's `<project>/<stack>`)."""
    key_arns: NotRequired[pulumi.Input[list[str]]]
    """KMS keys roles may decrypt with (the services' secrets key). Default: none."""
    tags: NotRequired[dict[str, str]]
    """Tags on the policy. Default: none."""


class PermissionsBoundary(pulumi.ComponentResource):
    """The managed policy every role the deploy role creates must carry as its boundary."""

    arn: pulumi.Output[str]
    """The boundary policy's ARN: give it to every component that creates roles."""

    def __init__(self, name: str, args: PermissionsBoundaryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:index:PermissionsBoundary", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        document = pulumi.Output.all(partition, region, account, pulumi.Output.from_input(args.get("key_arns", []))).apply(
            lambda v: json.dumps(
                boundary_policy(partition=v[0], region=v[1], account=v[2], stack=args["stack"],
                                repository_prefix=args["repository_prefix"], key_arns=v[3])
            )
        )
        policy = aws.iam.Policy(
            f"{name}-policy",
            name=boundary_name(args["stack"]),
            description=f"showrunner {args['stack']}: the most a role the deploy role creates may do",
            policy=document,
            tags={**args.get("tags", {}), "Service": "delivery"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = policy.arn
        self.register_outputs({"arn": self.arn})
