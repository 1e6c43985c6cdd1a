"""`showrunner:network`, `showrunner:load_balancer` and `showrunner:delivery`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from showrunner.config.values import AcmArn, Cidr, _fail
from showrunner.config.models.base import _Strict


class Network(_Strict):
    """A new VPC (cidr, az_count, nat) or an existing one (vpc_id and subnet ids)."""

    cidr: Cidr = "10.20.0.0/16"
    az_count: int = Field(default=2, ge=2, le=6)
    nat: Literal["none", "single", "per_az"] = "single"
    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$")
    public_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(default_factory=list)
    private_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _existing(self) -> "Network":
        given = [self.vpc_id is not None, bool(self.public_subnet_ids), bool(self.private_subnet_ids)]
        if any(given) and not all(given):
            _fail("existing_vpc", "an existing VPC needs `vpc_id`, `public_subnet_ids` and `private_subnet_ids` together")
        if self.vpc_id and (len(self.public_subnet_ids) < 2 or len(self.private_subnet_ids) < 2):
            _fail("existing_subnets", "an existing VPC needs at least two public and two private subnets (two AZs)")
        return self


class LoadBalancer(_Strict):
    certificate_arn: AcmArn
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600)
    slow_start_seconds: int = Field(default=30, ge=0, le=900)


class Delivery(_Strict):
    """GitHub Actions → AWS through OIDC: a read-only role for previews, a scoped one for deploys."""

    github_repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    """`owner/name`: the only repository whose workflows may assume the roles."""
    state_bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    """The S3 bucket of the Pulumi state backend (`pulumi login s3://<bucket>`)."""
    secrets_provider_key_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")
    """The KMS key of the `awskms://` secrets provider. Default: none, the roles cannot decrypt stack secrets."""
    oidc_provider_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
    """An account has one GitHub OIDC provider. Default: this stack creates it; a second stack in the
    same account names the first one's here."""
    deploy_environment: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,255}$")
    """The GitHub environment whose jobs may deploy. Default: the stack name (prod: required reviewers)."""
    promote_from: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,15}$")
    """The stack whose images this stack runs: the deploy workflow deploys this stack after that one,
    pinned to the digests it ran (`make promote`). Default: none, this stack builds its own images
    and deploys first. Read by tools/stacks, not by the program."""
