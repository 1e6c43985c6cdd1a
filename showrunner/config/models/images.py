"""`showrunner:images`, `showrunner:image_pipeline` and `showrunner:golden_ami`: the container
images and the host image."""

from __future__ import annotations

from pydantic import Field, model_validator

from showrunner.config.values import AwsCron, EcrDigestRef, EnvName, ImageContext, InstanceType, IsoWeek, Name, SsmName, StageName, _fail
from showrunner.config.models.base import _Strict
from showrunner_components.image_pipeline.builds import DEFAULT_PARENT_BUILD_ARG


class Image(_Strict):
    """One image, keyed by its name: a build context under `images/`, built, tested and pushed to
    its own ECR repository (`<project>/<stack>/<name>`)."""

    context: ImageContext | None = None
    """The build context: a folder under `images/` holding the Dockerfile. Default: the entry's name."""
    parent: Name | None = None
    """Another entry this image is built on: it is built first and its digest is passed as the
    build argument `parent_build_arg`. Default: none."""
    parent_build_arg: EnvName | None = None
    """The `ARG` of the Dockerfile that receives the parent's digest. Default: `BASE_IMAGE`."""
    test_target: StageName | None = None
    """A Dockerfile stage that must build (its tests pass) before the release image is built and
    pushed; it is pushed only as the repository's build cache (`build-cache`), which no host runs.
    Default: no test gate."""
    target: StageName | None = None
    """The Dockerfile stage of the release image. Default: the Dockerfile's last stage."""
    weekly: bool = False
    """Rebuilt every ISO week (`showrunner:image_pipeline.refresh_key`, passed as the build
    argument `REFRESH_KEY`) for OS security updates. Default: `false`, rebuilt when its files or its parent change."""
    release: EcrDigestRef | None = None
    """Promotion: run exactly this reference (the one staging ran) instead of building the image
    here (`make promote` sets it). Default: built by this stack."""

    @model_validator(mode="after")
    def _parent_rules(self) -> "Image":
        if self.parent_build_arg is not None and self.parent is None:
            _fail("parent_build_arg_alone", "`parent_build_arg` is only for an image with a `parent`")
        return self

    def context_folder(self, name: str) -> str:
        """The folder under `images/` this entry builds from."""
        return self.context or name

    @property
    def build_arg(self) -> str:
        return self.parent_build_arg or DEFAULT_PARENT_BUILD_ARG


class ImagePipeline(_Strict):
    """What every image of the pipeline shares: the weekly refresh and the ECR lifecycle."""

    refresh_key: IsoWeek | None = None
    """The week of the weekly rebuild; the weekly refresh moves it in every stack file. Required
    when an image is `weekly`. Default: none, no image is weekly."""
    keep_releases: int = Field(default=20, ge=1, le=1000)
    """Images kept per repository, so that a rollback to a recent digest still pulls. Default: the newest `20`."""
    untagged_expiry_days: int = Field(default=3, ge=1, le=365)
    """Days after push until an untagged image (a superseded build) expires. Default: `3`."""


class GoldenAmi(_Strict):
    """The EC2 Image Builder pipeline that bakes fleet hosts."""

    parent_image_parameter: SsmName = "/aws/service/debian/release/12/latest/amd64"
    """The SSM parameter naming the parent AMI. Default: `/aws/service/debian/release/12/latest/amd64`, Debian 12's newest."""
    schedule: AwsCron = "cron(0 4 ? * sun *)"
    """When the pipeline builds, even if the parent did not change (Debian's security updates). Default: `cron(0 4 ? * sun *)`, weekly."""
    build_instance_types: list[InstanceType] = Field(default_factory=lambda: ["m7i.large"], min_length=1)
    """The build instance's types. Default: `m7i.large`."""
    root_volume_gb: int = Field(default=16, ge=8, le=200)
    """The image's encrypted gp3 root volume, GiB. Default: `16`."""
    log_retention_days: int = Field(default=90, ge=1, le=3650)
    """Days the build logs stay in the log bucket. Default: `90`."""
    bootstrap: bool = False
    """True only for a stack's first deploy, before the pipeline has produced an AMI: no fleets are
    created then (see images/golden/README.md). Default: `false`, the AMI id is read from the pipeline's SSM parameter."""
