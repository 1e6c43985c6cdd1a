"""`showrunner:network`, `showrunner:load_balancer` and `showrunner:delivery`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from showrunner.config.values import AcmArn, Cidr, GithubEnvironment, GithubOidcProviderArn, GithubRepository, KmsKeyArn, S3Bucket, SlowStart, StackName, SubnetId, VpcId, _fail
from showrunner.config.models.base import _Strict


class Network(_Strict):
    """A new VPC (cidr, az_count, nat) or an existing one (vpc_id and subnet ids)."""

    cidr: Cidr = "10.20.0.0/16"
    """The new VPC's address block, split into one public and one private subnet per zone. Default: `10.20.0.0/16`."""
    az_count: int = Field(default=2, ge=2, le=6)
    """Availability zones of the new VPC. Default: `2`."""
    nat: Literal["none", "single", "per_az"] = "single"
    """NAT gateways for the private subnets: one per zone, one shared, or none (hosts then reach ECR,
    SSM and CloudWatch only through VPC endpoints the account provides). Default: `single`."""
    vpc_id: VpcId | None = None
    """An existing VPC to use instead of creating one, with both subnet lists. Default: a new VPC."""
    public_subnet_ids: list[SubnetId] = Field(default_factory=list)
    """The existing VPC's public subnets (the load balancer's), two or more. Default: none, a new VPC."""
    private_subnet_ids: list[SubnetId] = Field(default_factory=list)
    """The existing VPC's private subnets (the hosts'), two or more. Default: none, a new VPC."""

    @model_validator(mode="after")
    def _existing(self) -> "Network":
        given = [self.vpc_id is not None, bool(self.public_subnet_ids), bool(self.private_subnet_ids)]
        if any(given) and not all(given):
            _fail("existing_vpc", "an existing VPC needs `vpc_id`, `public_subnet_ids` and `private_subnet_ids` together")
        if self.vpc_id and (len(self.public_subnet_ids) < 2 or len(self.private_subnet_ids) < 2):
            _fail("existing_subnets", "an existing VPC needs at least two public and two private subnets (two AZs)")
        return self


class LoadBalancer(_Strict):
    """The internet-facing ALB in front of the routed web services."""

    certificate_arn: AcmArn
    """The HTTPS listener's certificate."""
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    """Seconds a connection may stay idle. Default: `60`."""
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600)
    """Seconds a leaving host keeps answering open requests before it is deregistered; its fleet's
    terminate hook waits that long too. Default: `30`."""
    slow_start_seconds: SlowStart = 30
    """Seconds a new host ramps up to its full share of requests. Default: `30`."""
    deletion_protection: bool = True
    """AWS refuses to delete the load balancer (its DNS name is what the site's DNS points at); a
    production stack (`showrunner:production: true`) keeps it on. Default: `true`."""
    access_logs: bool = True
    """Every request is logged to an S3 bucket of the stack's (public access blocked, expired after
    `access_log_retention_days`); a production stack keeps them on. Default: `true`."""
    access_log_retention_days: int = Field(default=90, ge=1, le=3650)
    """Days the access logs stay in their bucket. Default: `90`."""


class Delivery(_Strict):
    """GitHub Actions → AWS through OIDC: a read-only role for previews, a scoped one for deploys."""

    github_repository: GithubRepository
    """The only repository whose workflows may assume the roles."""
    state_bucket: S3Bucket
    """The S3 bucket of the Pulumi state backend (`pulumi login s3://<bucket>`)."""
    secrets_provider_key_arn: KmsKeyArn | None = None
    """The KMS key of the `awskms://` secrets provider. Default: none, the roles cannot decrypt stack secrets."""
    oidc_provider_arn: GithubOidcProviderArn | None = None
    """An account has one GitHub OIDC provider: a second stack in the same account (its load balancer
    certificate's) names the first one's here; validation refuses a second creator and names the
    stack that deploys first. Default: this stack creates it."""
    deploy_environment: GithubEnvironment | None = None
    """The GitHub environment whose jobs may deploy (prod's has required reviewers). Default: the stack name."""
    promote_from: StackName | None = None
    """The stack whose images this stack runs: the deploy workflow deploys this stack after that one,
    pinned to the digests it ran (`make promote`); read by tools/stacks, not by the program.
    Default: none, this stack builds its own images and deploys first."""
