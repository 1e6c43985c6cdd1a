"""The image pipeline: base → www → micro, built, tested, pushed to ECR and handed on by digest.

What Jenkins, a per-host S3 registry and an `@daily docker rmi` cron did in 2015:

- one ECR repository per image, with immutable tags, scan on push, KMS encryption and lifecycle
  rules (untagged images expire after a few days, the last N releases are kept);
- `base` is tagged with the configured refresh key (the ISO week) and its build context's hash,
  so a weekly `pulumi up` rebuilds it for OS security updates even when no file changed;
- `www` is built FROM base's digest (a build argument), so a new base rebuilds www; its `test`
  stage is its own image (never pushed) and the release image waits for it;
- the outputs are digests (`repository@sha256:…`): the fleet runs digests, never tags.

The pure helpers (lifecycle policy, content hash, tags, repository names) are tested by exact
comparison; `ImagePipeline` only turns them into resources.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from showrunner.config.models import Images
from showrunner_components.tagging import merge_tags

IMAGE_NAMES = ("base", "www", "micro")
# Build inputs that are not sources: the wheelhouse is derived from the pinned requirements
# (which are hashed), and bytecode caches differ from machine to machine.
_NOT_HASHED = {"wheelhouse", "wheelhouse.tmp", "__pycache__", ".pytest_cache"}


def lifecycle_policy(keep_releases: int, untagged_expiry_days: int) -> dict:
    """The ECR lifecycle policy: what 2015's `@daily docker rmi` did, done by the registry.

    Untagged images (superseded pushes, build leftovers) expire first; of the rest, the newest
    `keep_releases` are kept so that a rollback to a recent digest still pulls.
    """
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {untagged_expiry_days} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the last {keep_releases} releases",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_releases,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def context_hash(directory: Path) -> str:
    """sha256 over a build context's files (relative path and bytes, in path order)."""
    digest = hashlib.sha256()
    files = sorted(
        p for p in directory.rglob("*")
        if p.is_file() and not _NOT_HASHED.intersection(p.relative_to(directory).parts)
    )
    if not files:
        raise FileNotFoundError(f"image build context {directory} has no files")
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def content_tag(*parts: str) -> str:
    """A short, stable tag from content identifiers: same inputs, same tag (ECR tags are immutable)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def base_tag(refresh_key: str, base_context_hash: str) -> str:
    """`2026-W48-<hash>`: a new week or a changed file makes a new base image."""
    return f"{refresh_key}-{content_tag(base_context_hash)}"


def repository_arn_of(reference: str) -> str:
    """`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…` → the repository's ARN."""
    registry, _, rest = reference.partition("/")
    account, _, _, region, *_ = registry.split(".")
    return f"arn:aws:ecr:{region}:{account}:repository/{rest.split('@', 1)[0]}"


def repository_name(project: str, stack: str, image: str) -> str:
    return f"{project}/{stack}/{image}"


@dataclass
class ImagePipelineArgs:
    project: str
    stack: str
    settings: Images
    """refresh_key (ISO week), keep_releases, untagged_expiry_days from `showrunner:images`."""
    project_dir: Path
    """The Pulumi project directory; build contexts are `images/<name>` under it."""
    tags: dict[str, str] = field(default_factory=dict)
    platform: str = "linux/amd64"
    """Default: linux/amd64, the golden AMI's architecture."""


class ImagePipeline(pulumi.ComponentResource):
    """ECR repositories and the Docker builds of base, www (behind its test stage) and micro."""

    digests: dict[str, pulumi.Output[str]]
    repository_arns: dict[str, pulumi.Output[str]]
    repository_urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ImagePipelineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:image_pipeline:ImagePipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy = json.dumps(lifecycle_policy(args.settings.keep_releases, args.settings.untagged_expiry_days))

        repositories = {}
        for image in IMAGE_NAMES:
            repositories[image] = aws.ecr.Repository(
                f"{name}-{image}",
                name=repository_name(args.project, args.stack, image),
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")],
                tags=merge_tags(args.tags, Service="image-pipeline", Image=image),
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{image}-lifecycle",
                repository=repositories[image].name,
                policy=policy,
                opts=child,
            )

        token = aws.ecr.get_authorization_token_output(registry_id=repositories["base"].registry_id, opts=pulumi.InvokeOutputOptions(parent=self))

        def registry(image: str) -> docker.RegistryArgs:
            return docker.RegistryArgs(
                server=repositories[image].repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            )

        def build(image: str, target: str | None = None, build_args: dict | None = None) -> docker.DockerBuildArgs:
            return docker.DockerBuildArgs(
                context=f"images/{image}",
                dockerfile=f"images/{image}/Dockerfile",
                platform=args.platform,
                target=target,
                args=build_args,
            )

        def image_name(image: str, tag: pulumi.Input[str]) -> pulumi.Output[str]:
            return pulumi.Output.concat(repositories[image].repository_url, ":", tag)

        contexts = {image: context_hash(args.project_dir / "images" / image) for image in IMAGE_NAMES}

        base = docker.Image(
            f"{name}-base",
            image_name=image_name("base", base_tag(args.settings.refresh_key, contexts["base"])),
            build=build("base", build_args={"REFRESH_KEY": args.settings.refresh_key}),
            registry=registry("base"),
            opts=child,
        )
        # www is built on base's digest: a new base (new week, new packages) is a new www.
        built: dict[str, pulumi.Output[str]] = {"base": base.repo_digest}
        release = args.settings.release
        if "www" not in release:
            built["www"] = self._www(name, args, base, contexts["www"], build, image_name, registry)
        if "micro" not in release:
            built["micro"] = docker.Image(
                f"{name}-micro",
                image_name=image_name("micro", content_tag(contexts["micro"])),
                build=build("micro"),
                registry=registry("micro"),
                opts=child,
            ).repo_digest

        # A promoted image runs the reference another stack built and tested; it is not rebuilt here.
        self.digests = {**built, **{image: pulumi.Output.from_input(ref) for image, ref in release.items()}}
        self.repository_arns = {
            **{image: repo.arn for image, repo in repositories.items()},
            **{image: pulumi.Output.from_input(repository_arn_of(ref)) for image, ref in release.items()},
        }
        self.repository_urls = {image: repo.repository_url for image, repo in repositories.items()}
        self.register_outputs(
            {"digests": self.digests, "repository_arns": self.repository_arns, "repository_urls": self.repository_urls}
        )

    def repository_arns_for(self, images: Iterable[str]) -> list[pulumi.Output[str]]:
        """The repositories a fleet running these images may pull from, and no others (external
        images, pinned by digest, are not this pipeline's)."""
        return [self.repository_arns[image] for image in sorted(set(images)) if image in self.repository_arns]

    def _www(self, name, args, base, context, build, image_name, registry) -> pulumi.Output[str]:
        """The test stage, then the release image, which waits for it: 2015's py.test before push."""
        www_args = {"BASE_IMAGE": base.repo_digest}
        www_tag = base.repo_digest.apply(lambda base_digest: content_tag(context, base_digest))
        www_test = docker.Image(
            f"{name}-www-test",
            image_name=image_name("www", pulumi.Output.concat(www_tag, "-test")),
            build=build("www", target="test", build_args=www_args),
            registry=registry("www"),
            skip_push=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return docker.Image(
            f"{name}-www",
            image_name=image_name("www", www_tag),
            build=build("www", target="release", build_args=www_args),
            registry=registry("www"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[www_test]),
        ).repo_digest
