"""ImagePipeline: a list of images built, tested, pushed to ECR and handed on by digest.

What Jenkins, a per-host S3 registry and an `@daily docker rmi` cron did in 2015:

- one ECR repository per image, with immutable tags, scan on push, KMS encryption and lifecycle
  rules (untagged images expire after a few days, the last N releases are kept);
- an image may be built on another (`parent`): the parent's digest is its build argument, so a new
  parent is a new image; a `weekly` image takes the refresh key (an ISO week), so a weekly
  `pulumi up` rebuilds it for OS security updates even when no file changed;
- an image's `test_target` stage is built first as its own image, and the release image waits for it;
- builds reuse layers from the registry: each repository keeps one mutable tag, `build-cache`
  (the test stage, or the release stage of an image without one, pushed with BuildKit's inline
  cache), and every build caches from it; every other tag is immutable;
- `pulumi preview` builds (and so tests) every image it would rebuild, without pushing;
- a `release` image is not built: it runs the reference another stack built and tested;
- the outputs are digests (`repository@sha256:…`): fleets run digests, never tags.

The pure builders (build order, lifecycle policy, content hash, tags, names) live in `builds`.
"""

import json
import os
from pathlib import Path
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from showrunner_components.image_pipeline import dockerfile
from showrunner_components.image_pipeline.builds import (
    CACHE_TAG,
    DEFAULT_PARENT_BUILD_ARG,
    INLINE_CACHE_BUILD_ARG,
    REFRESH_BUILD_ARG,
    build_order,
    build_recipe,
    context_hash,
    image_tag,
    lifecycle_policy,
    repository_arn_of,
    repository_name,
)
from showrunner_components.tagging import merge_tags


class PipelineImage(TypedDict):
    """One image of the pipeline."""

    name: str
    """Its name: the repository is `<repository_prefix>/<name>`, its resources `<component name>-<name>`."""
    context: str
    """The build context folder. A relative path is resolved against the working directory (the
    project directory under the Pulumi CLI), as the Docker provider resolves it."""
    dockerfile: NotRequired[str]
    """The Dockerfile, a path like `context`. Default: `<context>/Dockerfile`."""
    parent: NotRequired[str]
    """The name of another image of this pipeline it is built on: that image's digest becomes the
    build argument `parent_build_arg`, and it is built first. Default: none."""
    parent_build_arg: NotRequired[str]
    """The build argument that receives the parent's digest. Default: `BASE_IMAGE`."""
    target: NotRequired[str]
    """The Dockerfile stage of the release image. Default: the Dockerfile's last stage."""
    test_target: NotRequired[str]
    """A stage that must build (its tests pass) before the release image is built and pushed. It is
    built as its own image; with `registry_cache` it is what `build-cache` holds, otherwise it is
    tagged `<tag>-test` and never pushed. Hosts never run it. Default: no test gate."""
    weekly: NotRequired[bool]
    """Rebuilt every week: the build argument `REFRESH_KEY` is `refresh_key`, and the tag starts
    with it. Default: false, rebuilt when its files or its parent change."""
    release: NotRequired[str]
    """An ECR reference pinned by digest (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…`)
    that another stack built and tested: this pipeline runs it and does not build the image.
    Default: built here."""


class ImagePipelineArgs(TypedDict):
    repository_prefix: str
    """Repositories are `<repository_prefix>/<image>`, e.g. `showrunner/prod`."""
    images: list[PipelineImage]
    """The images, in any order: each is built after its parent."""
    refresh_key: NotRequired[str]
    """The week of the weekly rebuild, e.g. `2026-W48`. Required when an image is `weekly`."""
    keep_releases: NotRequired[int]
    """Images each repository keeps, so that a rollback to a recent digest still pulls. Default: the newest 20."""
    untagged_expiry_days: NotRequired[int]
    """Days after push until an untagged image (a superseded build) expires. Default: 3."""
    platform: NotRequired[str]
    """The build platform. Default: linux/amd64, the golden AMI's architecture."""
    build_on_preview: NotRequired[bool]
    """`pulumi preview` builds every image it would rebuild, its test stage first, as `pulumi up`
    would, without pushing: a broken Dockerfile or a failing test stage fails the preview. That
    preview then needs a Docker daemon, the build contexts (wheelhouses included) and pull access
    to the parents and the cache. Default: true."""
    registry_cache: NotRequired[bool]
    """Builds reuse layers from the registry, so a build on a fresh machine is warm: each repository
    keeps one mutable tag, `build-cache` (the test stage, or the release stage when there is none,
    pushed with BuildKit's inline cache metadata), and every build of the image caches from it.
    Every other tag stays immutable. Default: true."""
    tags: NotRequired[dict[str, str]]
    """Tags on every repository (plus `Service: image-pipeline` and `Image: <name>`). Default: none."""


class ImagePipeline(pulumi.ComponentResource):
    """ECR repositories and the Docker builds of a list of images, each tested before it is pushed."""

    digests: pulumi.Output[dict[str, str]]
    """Image name → `repository@sha256:…` the image runs as (a `release` image: its reference)."""
    repository_arns: pulumi.Output[dict[str, str]]
    """Image name → the ARN of the repository its digest is pulled from (grant fleets these)."""
    repository_urls: pulumi.Output[dict[str, str]]
    """Image name → this pipeline's repository URL."""

    def __init__(self, name: str, args: ImagePipelineArgs, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="showrunner:image_pipeline:ImagePipeline")])
        )
        super().__init__("showrunner:index:ImagePipeline", name, None, opts)
        images = {image["name"]: image for image in args["images"]}
        order = build_order({n: image.get("parent") for n, image in images.items()})
        _check_images(images.values(), args.get("refresh_key"))

        repositories = self._repositories(name, args)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        digests: dict[str, pulumi.Output[str]] = {}
        arns: dict[str, pulumi.Output[str]] = {}
        if repositories:
            token = aws.ecr.get_authorization_token_output(
                registry_id=next(iter(repositories.values())).registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            for image_name in order:
                image = images[image_name]
                if "release" in image:
                    # A promoted image runs the reference another stack built and tested; it is not rebuilt here.
                    digests[image_name] = pulumi.Output.from_input(image["release"])
                    arns[image_name] = partition.apply(lambda p, ref=image["release"]: repository_arn_of(ref, p))
                else:
                    parent = digests[image["parent"]] if "parent" in image else None
                    digests[image_name] = self._build(name, image, repositories[image_name], token, parent, args)
                    arns[image_name] = repositories[image_name].arn

        self.digests = pulumi.Output.all(**digests) if digests else pulumi.Output.from_input({})
        self.repository_arns = pulumi.Output.all(**arns) if arns else pulumi.Output.from_input({})
        self.repository_urls = (
            pulumi.Output.all(**{n: r.repository_url for n, r in repositories.items()})
            if repositories
            else pulumi.Output.from_input({})
        )
        self.register_outputs(
            {"digests": self.digests, "repository_arns": self.repository_arns, "repository_urls": self.repository_urls}
        )

    def _repositories(self, name: str, args: ImagePipelineArgs) -> dict[str, aws.ecr.Repository]:
        """One immutable, scanned, encrypted repository per image, with the lifecycle policy."""
        child = pulumi.ResourceOptions(parent=self)
        policy = json.dumps(lifecycle_policy(args.get("keep_releases", 20), args.get("untagged_expiry_days", 3)))
        # The one mutable tag, the build cache, which no host runs; every release tag is immutable.
        mutability = (
            dict(
                image_tag_mutability="IMMUTABLE_WITH_EXCLUSION",
                image_tag_mutability_exclusion_filters=[
                    aws.ecr.RepositoryImageTagMutabilityExclusionFilterArgs(filter=CACHE_TAG, filter_type="WILDCARD")
                ],
            )
            if args.get("registry_cache", True)
            else dict(image_tag_mutability="IMMUTABLE")
        )
        repositories = {}
        for image in args["images"]:
            image_name = image["name"]
            repositories[image_name] = aws.ecr.Repository(
                f"{name}-{image_name}",
                name=repository_name(args["repository_prefix"], image_name),
                **mutability,
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")],
                tags=merge_tags(args.get("tags", {}), Service="image-pipeline", Image=image_name),
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{image_name}-lifecycle",
                repository=repositories[image_name].name,
                policy=policy,
                opts=child,
            )
        return repositories

    def _build(
        self,
        name: str,
        image: PipelineImage,
        repository: aws.ecr.Repository,
        token,
        parent_digest: pulumi.Output[str] | None,
        args: ImagePipelineArgs,
    ) -> pulumi.Output[str]:
        """The test stage (if any), then the release image, which waits for it: 2015's py.test before
        push. With the registry cache, the test stage (or, without one, a rebuild of the release
        stage, from the local cache) is pushed as `build-cache` for the next build to reuse."""
        image_name = image["name"]
        context = image["context"]
        dockerfile_path = image.get("dockerfile", os.path.join(context, "Dockerfile"))
        platform = args.get("platform", "linux/amd64")
        cache = args.get("registry_cache", True)
        on_preview = args.get("build_on_preview", True)
        files = context_hash(Path(context))
        refresh_key = args.get("refresh_key") if image.get("weekly", False) else None
        build_args: dict[str, pulumi.Input[str]] = {}
        if refresh_key is not None:
            build_args[REFRESH_BUILD_ARG] = refresh_key
        if cache:
            build_args[INLINE_CACHE_BUILD_ARG] = "1"
        recipe = build_recipe(
            context=context, dockerfile=dockerfile_path, platform=platform, target=image.get("target"),
            test_target=image.get("test_target"), registry_cache=cache, build_on_preview=on_preview,
        )
        if parent_digest is not None:
            build_args[image.get("parent_build_arg", DEFAULT_PARENT_BUILD_ARG)] = parent_digest
            tag: pulumi.Input[str] = parent_digest.apply(lambda digest: image_tag(files, digest, refresh_key, recipe))
        else:
            tag = image_tag(files, None, refresh_key, recipe)
        registry = docker.RegistryArgs(
            server=repository.repository_url,
            username=token.user_name,
            password=pulumi.Output.secret(token.password),
        )
        cache_ref = pulumi.Output.concat(repository.repository_url, ":", CACHE_TAG)

        def build(resource: str, image_ref: pulumi.Input[str], target: str | None, push: bool, after: list) -> docker.Image:
            return docker.Image(
                resource,
                image_name=image_ref,
                build=docker.DockerBuildArgs(
                    context=context,
                    dockerfile=dockerfile_path,
                    platform=platform,
                    target=target,
                    args=build_args or None,
                    builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
                    cache_from=docker.CacheFromArgs(images=[cache_ref]) if cache else None,
                ),
                build_on_preview=on_preview,
                registry=registry,
                skip_push=not push,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )

        gate = []
        if "test_target" in image:
            test_ref = cache_ref if cache else pulumi.Output.concat(repository.repository_url, ":", tag, "-test")
            gate.append(build(f"{name}-{image_name}-test", test_ref, image["test_target"], cache, []))
        release = build(f"{name}-{image_name}", pulumi.Output.concat(repository.repository_url, ":", tag), image.get("target"), True, gate)
        if cache and "test_target" not in image:
            build(f"{name}-{image_name}-cache", cache_ref, image.get("target"), True, [release])
        return release.repo_digest


def _check_images(images, refresh_key: str | None) -> None:
    """Refuse, in one line, what would otherwise fail in the middle of a build."""
    for image in images:
        if image.get("weekly", False) and refresh_key is None:
            raise ValueError(f"image {image['name']} is weekly: ImagePipelineArgs needs refresh_key")
        if "release" in image:
            continue
        path = Path(image.get("dockerfile", os.path.join(image["context"], "Dockerfile")))
        if not path.is_file():
            raise ValueError(f"image {image['name']}: {path} does not exist")
        declared = dockerfile.stages(dockerfile.read(path))
        for key in ("test_target", "target"):
            if key in image and image[key].lower() not in declared:
                raise ValueError(f'image {image["name"]}: {key} "{image[key]}" is not a stage of {path} (stages: {", ".join(declared) or "none"})')
