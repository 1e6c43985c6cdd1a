"""`showrunner:images` and `showrunner:golden_ami`: the container images and the host image."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from showrunner.config.values import AwsCron, EcrDigestRef, InstanceType, IsoWeek, SsmName
from showrunner.config.models.base import _Strict


class Images(_Strict):
    """The image pipeline: ECR repositories and the weekly base rebuild."""

    refresh_key: IsoWeek
    keep_releases: int = Field(default=20, ge=1, le=1000)
    untagged_expiry_days: int = Field(default=3, ge=1, le=365)
    release: dict[Literal["www", "micro"], EcrDigestRef] = Field(default_factory=dict)
    """Promotion: run exactly this reference (the one staging ran) instead of building the image here."""


class GoldenAmi(_Strict):
    """The EC2 Image Builder pipeline that bakes fleet hosts."""

    parent_image_parameter: SsmName = "/aws/service/debian/release/12/latest/amd64"
    schedule: AwsCron = "cron(0 4 ? * sun *)"
    build_instance_types: list[InstanceType] = Field(default_factory=lambda: ["m7i.large"], min_length=1)
    root_volume_gb: int = Field(default=16, ge=8, le=200)
    log_retention_days: int = Field(default=90, ge=1, le=3650)
    """Days the build logs stay in the log bucket."""
    bootstrap: bool = False
    """Default: false, the AMI id is read from the pipeline's SSM parameter. True only for a stack's
    first deploy, before the pipeline has produced an AMI (see images/golden/README.md)."""
