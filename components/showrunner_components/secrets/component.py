"""Service secrets: Pulumi config secrets → SSM SecureString parameters under a customer-managed key.

Hosts read them at container start (into an env file under /run); they never appear in user
data, the launch template or preview output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pydantic import SecretStr


def parameter_path(stack: str, service: str, secret: str | None = None) -> str:
    """`/showrunner/<stack>/<service>/<NAME>`: the hierarchy the instance role is scoped to."""
    base = f"/showrunner/{stack}/{service}"
    return f"{base}/{secret}" if secret else base


@dataclass
class ServiceSecretsArgs:
    stack: str
    secrets: dict[str, dict[str, SecretStr]]
    """Service → secret name → value, from `showrunner:secrets`."""
    tags: dict[str, str] = field(default_factory=dict)
    key_deletion_window_days: int = 30
    """Default: 30, the longest AWS allows, so a mistaken delete can still be cancelled."""


class ServiceSecrets(pulumi.ComponentResource):
    """A KMS key with rotation on, and one SecureString parameter per service secret."""

    key_arn: pulumi.Output[str]
    parameter_arns: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: ServiceSecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:secrets:ServiceSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        key = aws.kms.Key(
            f"{name}-key",
            description=f"showrunner {args.stack}: service secrets in SSM",
            enable_key_rotation=True,
            deletion_window_in_days=args.key_deletion_window_days,
            tags={**args.tags, "Service": "secrets"},
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/showrunner-{args.stack}-secrets",
            target_key_id=key.key_id,
            opts=child,
        )
        parameters = {}
        for service in sorted(args.secrets):
            for secret in sorted(args.secrets[service]):
                path = parameter_path(args.stack, service, secret)
                parameters[path] = aws.ssm.Parameter(
                    f"{name}-{service}-{secret.lower().replace('_', '-')}",
                    name=path,
                    type="SecureString",
                    key_id=key.arn,
                    value=pulumi.Output.secret(args.secrets[service][secret].get_secret_value()),
                    tags={**args.tags, "Service": service},
                    opts=child,
                ).arn

        self.key_arn = key.arn
        self.parameter_arns = pulumi.Output.all(**parameters) if parameters else pulumi.Output.from_input({})
        self.register_outputs({"key_arn": self.key_arn, "parameter_arns": self.parameter_arns})
