"""Delivery: GitHub Actions reaches AWS through OIDC, with no stored keys.

- the account's GitHub OIDC provider (or an existing one, `oidc_provider_arn`);
- a preview role for pull requests and the nightly drift check (`repo:<owner>/<name>:pull_request`
  and `…:ref:refs/heads/main`): it reads, it never changes a resource;
- a deploy role only a job in the stack's GitHub environment can assume (`…:environment:prod`,
  which has required reviewers). It changes what the program manages: resources tagged
  `ManagedBy = pulumi` and `Environment = <stack>`, and it passes only the named roles.

The documents are pure functions in `policies`, tested by exact comparison.
"""

import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from showrunner_components.delivery.policies import (
    GITHUB_OIDC_URL,
    Scope,
    deploy_policy,
    deploy_subjects,
    preview_policy,
    preview_subjects,
    trust_policy,
)


class DeliveryArgs(TypedDict):
    stack: str
    """The stack the roles deploy: deploys may change only resources tagged `Environment: <stack>`."""
    github_repository: str
    """`owner/name`: the only repository whose workflows may assume the roles."""
    state_bucket: str
    """The S3 bucket of the Pulumi state backend (`pulumi login s3://<bucket>`)."""
    secrets_provider_key_arn: NotRequired[str]
    """The KMS key of the `awskms://` secrets provider. Default: none, the roles cannot decrypt stack secrets."""
    oidc_provider_arn: NotRequired[str]
    """An account has one GitHub OIDC provider. Default: this component creates it; a second stack
    in the same account names the first one's here."""
    deploy_environment: NotRequired[str]
    """The GitHub environment whose jobs may deploy. Default: the stack name."""
    service_secrets_key_arn: NotRequired[pulumi.Input[str]]
    """The KMS key of the services' SSM SecureStrings (refreshes decrypt with it). Default: none."""
    pass_role_arns: NotRequired[pulumi.Input[list[str]]]
    """Roles the deploy role may hand to EC2 (the fleets' and the image build's instance profiles). Default: none."""
    permissions_boundary_arn: NotRequired[pulumi.Input[str]]
    """The boundary (`PermissionsBoundary`) every role the deploy role creates or changes must carry;
    the deploy role can never change or lift it. Default: none, the deploy role creates no role."""
    pull_request_previews: NotRequired[bool]
    """Whether pull requests may assume the preview role. Default: true. False for a stack whose
    secrets a pull request's code must not reach (production): only `main`'s drift check may then."""
    project: NotRequired[str]
    """The first part of the stack's resource names (`<project>-<stack>-…`: buckets, key aliases). Default: `showrunner`."""
    release_repository_arns: NotRequired[pulumi.Input[list[str]]]
    """ECR repositories of another stack whose images this stack runs (promotion): the deploy role
    may tag their promoted digests `release-<stack>-…`, which their lifecycle never expires. Default: none."""
    tags: NotRequired[dict[str, str]]
    """Tags on every resource (plus `Service: delivery`). Default: none."""


class Delivery(pulumi.ComponentResource):
    """The GitHub OIDC provider and the preview and deploy roles of one stack."""

    provider_arn: pulumi.Output[str]
    """The GitHub OIDC provider the roles trust (created, or the one given)."""
    preview_role_arn: pulumi.Output[str]
    """Read-only: for pull requests and drift checks."""
    deploy_role_arn: pulumi.Output[str]
    """For `pulumi up` from the stack's GitHub environment."""

    def __init__(self, name: str, args: DeliveryArgs, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:delivery:Delivery")]))
        super().__init__("showrunner:index:Delivery", name, None, opts)
        tags = {**args.get("tags", {}), "Service": "delivery"}
        stack, repository = args["stack"], args["github_repository"]
        environment = args.get("deploy_environment") or stack

        provider_arn = self._oidc_provider(name, args.get("oidc_provider_arn"), tags)
        preview_role = self._role(
            name, "preview", f"showrunner {stack}: read-only previews from {repository}", provider_arn,
            preview_subjects(repository, args.get("pull_request_previews", True)), tags,
        )
        deploy_role = self._role(
            name,
            "deploy",
            f"showrunner {stack}: deploys from the {environment} environment of {repository}",
            provider_arn,
            deploy_subjects(repository, environment),
            tags,
        )

        scope = self._scope(args)
        child = pulumi.ResourceOptions(parent=self)
        aws.iam.RolePolicy(
            f"{name}-preview-policy",
            role=preview_role.id,
            policy=scope.apply(lambda s: json.dumps(preview_policy(s))),
            opts=child,
        )
        own_arns = pulumi.Output.all(preview_role.arn, deploy_role.arn, provider_arn)
        aws.iam.RolePolicy(
            f"{name}-deploy-policy",
            role=deploy_role.id,
            policy=pulumi.Output.all(
                scope,
                pulumi.Output.from_input(args.get("pass_role_arns", [])),
                own_arns,
                pulumi.Output.from_input(args.get("release_repository_arns", [])),
            ).apply(lambda v: json.dumps(deploy_policy(v[0], v[1], v[2], v[3]))),
            opts=child,
        )

        self.provider_arn = provider_arn
        self.preview_role_arn = preview_role.arn
        self.deploy_role_arn = deploy_role.arn
        self.register_outputs(
            {"provider_arn": self.provider_arn, "preview_role_arn": self.preview_role_arn, "deploy_role_arn": self.deploy_role_arn}
        )

    def _oidc_provider(self, name: str, existing: str | None, tags: dict[str, str]) -> pulumi.Output[str]:
        """The given provider, or a new one for GitHub's token issuer."""
        if existing:
            return pulumi.Output.from_input(existing)
        return aws.iam.OpenIdConnectProvider(
            f"{name}-github",
            url=GITHUB_OIDC_URL,
            client_id_lists=["sts.amazonaws.com"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        ).arn

    def _role(self, name: str, kind: str, description: str, provider_arn: pulumi.Output[str], subjects: list[str], tags: dict[str, str]) -> aws.iam.Role:
        """A role only GitHub tokens for `subjects` can assume, for an hour at most."""
        return aws.iam.Role(
            f"{name}-{kind}",
            description=description,
            assume_role_policy=provider_arn.apply(lambda arn: json.dumps(trust_policy(arn, subjects))),
            max_session_duration=3600,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _scope(self, args: DeliveryArgs) -> pulumi.Output[Scope]:
        """The partition, account, region, stack and keys the documents are built for."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        keys = [k for k in (args.get("secrets_provider_key_arn"), args.get("service_secrets_key_arn")) if k is not None]
        return pulumi.Output.all(
            partition.partition, identity.account_id, region.region, pulumi.Output.all(*keys), pulumi.Output.from_input(args.get("permissions_boundary_arn"))
        ).apply(
            lambda v: Scope(v[1], v[2], args["stack"], args["state_bucket"], tuple(v[3]), partition=v[0],
                            project=args.get("project", "showrunner"), boundary_arn=v[4])
        )
