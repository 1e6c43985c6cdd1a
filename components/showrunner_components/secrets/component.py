"""Service secrets → SSM SecureString parameters under a customer-managed KMS key.

Hosts read them at container start (into an env file under /run); they never appear in user
data, the launch template or preview output.
"""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

__all__ = ["ServiceSecrets", "ServiceSecretsArgs"]

DEFAULT_KEY_DELETION_WINDOW_DAYS = 30
"""The longest AWS allows: a mistaken key deletion can be cancelled for a month."""


def parameter_path(stack: str, service: str, secret: str | None = None) -> str:
    """`/showrunner/<stack>/<service>/<NAME>`: the hierarchy the instance role is scoped to."""
    base = f"/showrunner/{stack}/{service}"
    return f"{base}/{secret}" if secret else base


class ServiceSecretsArgs(TypedDict):
    stack: str
    """The deployment name: parameters live under `/showrunner/<stack>/<service>/<NAME>`, the key's
    alias is `alias/showrunner-<stack>-secrets`."""
    secrets: NotRequired[dict[str, dict[str, pulumi.Input[str]]]]
    """Service → secret name → value. Each value is stored as a SecureString and marked secret
    whether or not it arrives as one. Default: none, only the key is created."""
    key_deletion_window_days: NotRequired[int]
    """Days a deleted key can still be restored (7-30). Default: 30, the longest AWS allows, so a
    mistaken delete can still be cancelled."""
    tags: NotRequired[dict[str, str]]
    """Tags on the key and every parameter (which add `Service`). Default: none."""


class ServiceSecrets(pulumi.ComponentResource):
    """A KMS key with rotation on, and one SecureString parameter per service secret."""

    key_arn: pulumi.Output[str]
    """The customer-managed key the parameters are encrypted with; hosts decrypt through SSM only."""
    parameter_arns: pulumi.Output[dict[str, str]]
    """Parameter path → its ARN."""

    def __init__(self, name: str, args: ServiceSecretsArgs, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:secrets:ServiceSecrets")]))
        super().__init__("showrunner:index:ServiceSecrets", name, None, opts)
        key = self._key(name, args)
        parameters = self._parameters(name, args, key)
        self.key_arn = key.arn
        self.parameter_arns = pulumi.Output.from_input(parameters)
        self.register_outputs({"key_arn": self.key_arn, "parameter_arns": self.parameter_arns})

    def _key(self, name: str, args: ServiceSecretsArgs) -> aws.kms.Key:
        """The stack's secrets key, rotated yearly, and its alias."""
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"showrunner {args['stack']}: service secrets in SSM",
            enable_key_rotation=True,
            deletion_window_in_days=args.get("key_deletion_window_days", DEFAULT_KEY_DELETION_WINDOW_DAYS),
            tags={**args.get("tags", {}), "Service": "secrets"},
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/showrunner-{args['stack']}-secrets",
            target_key_id=key.key_id,
            opts=child,
        )
        return key

    def _parameters(self, name: str, args: ServiceSecretsArgs, key: aws.kms.Key) -> dict[str, pulumi.Output[str]]:
        """One SecureString per service secret, by path; the resource name follows service and secret."""
        child = pulumi.ResourceOptions(parent=self)
        secrets = args.get("secrets", {})
        parameters = {}
        for service in sorted(secrets):
            for secret in sorted(secrets[service]):
                path = parameter_path(args["stack"], service, secret)
                parameters[path] = aws.ssm.Parameter(
                    f"{name}-{service}-{secret.lower().replace('_', '-')}",
                    name=path,
                    type="SecureString",
                    key_id=key.arn,
                    value=pulumi.Output.secret(secrets[service][secret]),
                    tags={**args.get("tags", {}), "Service": service},
                    opts=child,
                ).arn
        return parameters
