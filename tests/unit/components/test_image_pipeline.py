"""ImagePipeline: pure builders by exact comparison, and the resources a stack registers under mocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from showrunner_components.image_pipeline import dockerfile
from showrunner_components.image_pipeline.builds import (
    BuildOrderError,
    build_order,
    build_recipe,
    content_tag,
    context_hash,
    image_tag,
    lifecycle_policy,
    repository_arn_of,
    repository_name,
)
from showrunner.mocks import SECRET
from tests.conftest import by_type, one
from tests.unit.under_mocks import run_program

IMAGE_TYPE = "docker:index/image:Image"
REPO_TYPE = "aws:ecr/repository:Repository"


def test_lifecycle_policy_expires_untagged_never_a_release_and_keeps_the_last_images():
    assert lifecycle_policy(keep_releases=20, untagged_expiry_days=3) == {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images 3 days after push",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": "Never expire a digest a stack runs (tagged release-)",
                "selection": {"tagStatus": "tagged", "tagPrefixList": ["release-"], "countType": "imageCountMoreThan", "countNumber": 10000},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "description": "Keep the last 20 images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
                "action": {"type": "expire"},
            },
        ]
    }


def test_context_hash_follows_content_names_modes_and_wheels_but_not_caches(tmp_path: Path):
    """Everything a build sends is hashed, so the Docker provider never sees a change the tag does not."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print(1)\n")
    (tmp_path / "app" / "main.py").chmod(0o644)
    first = context_hash(tmp_path)
    assert len(first) == 64 and first == context_hash(tmp_path)

    (tmp_path / "app" / "__pycache__").mkdir()
    (tmp_path / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"pyc")
    (tmp_path / "wheelhouse.tmp").mkdir()
    (tmp_path / "wheelhouse.tmp" / "half-built.whl").write_bytes(b"...")
    assert context_hash(tmp_path) == first

    (tmp_path / "wheelhouse").mkdir()
    (tmp_path / "wheelhouse" / "pycurl-7.49.0-cp311-cp311-linux_x86_64.whl").write_bytes(b"built here")
    with_wheel = context_hash(tmp_path)
    (tmp_path / "wheelhouse" / "pycurl-7.49.0-cp311-cp311-linux_x86_64.whl").write_bytes(b"built elsewhere")
    assert len({first, with_wheel, context_hash(tmp_path)}) == 3

    before = context_hash(tmp_path)
    (tmp_path / "app" / "main.py").chmod(0o755)
    assert context_hash(tmp_path) != before
    (tmp_path / "app" / "main.py").write_text("print(2)\n")
    changed = context_hash(tmp_path)
    (tmp_path / "app" / "main.py").rename(tmp_path / "app" / "other.py")
    assert context_hash(tmp_path) not in (before, changed)


def test_context_hash_refuses_an_empty_context(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="has no files"):
        context_hash(tmp_path)


def test_tags_are_stable_and_carry_the_refresh_key():
    assert content_tag("abc") == "ba7816bf8f01cfea"  # sha256("abc")
    assert content_tag("a", "b") != content_tag("ab")
    assert image_tag("abc", refresh_key="2026-W48") == "2026-W48-" + content_tag("abc")
    assert image_tag("abc", refresh_key="2026-W49") != image_tag("abc", refresh_key="2026-W48")


def test_a_child_tag_follows_its_parent_digest():
    assert image_tag("ctx") == content_tag("ctx")
    assert image_tag("ctx", "repo@sha256:1") == content_tag("ctx", "repo@sha256:1")
    assert image_tag("ctx", "repo@sha256:1") != image_tag("ctx", "repo@sha256:2")
    assert image_tag("ctx", "repo@sha256:1", "2026-W48") == "2026-W48-" + content_tag("ctx", "repo@sha256:1")


def test_the_recipe_is_in_the_tag_so_a_changed_input_is_a_new_tag_to_push():
    """ECR refuses a second push of a tag; the Docker provider pushes whenever an input changes."""
    recipe = build_recipe(context="images/www", target="release", registry_cache=True)
    assert image_tag("ctx", "repo@sha256:1", None, recipe) == content_tag("ctx", "repo@sha256:1", recipe)
    changed = [build_recipe(context="images/www", target="test", registry_cache=True),
               build_recipe(context="images/www2", target="release", registry_cache=True),
               build_recipe(context="images/www", target="release", registry_cache=False)]
    assert len({image_tag("ctx", None, None, r) for r in [recipe, *changed]}) == 4
    assert build_recipe(b=1, a=2) == build_recipe(a=2, b=1) == '{"a":2,"b":1}'


def test_repository_name_and_arn_of_a_reference():
    assert repository_name("showrunner/prod", "www") == "showrunner/prod/www"
    reference = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/showrunner/staging/www@sha256:" + "ab" * 32
    assert repository_arn_of(reference, "aws-cn") == "arn:aws-cn:ecr:cn-north-1:123456789012:repository/showrunner/staging/www"


@pytest.mark.parametrize(
    ("parents", "order"),
    [
        ({"base": None, "www": "base", "micro": None}, ["base", "www", "micro"]),
        ({"www": "base", "micro": None, "base": None}, ["base", "www", "micro"]),
        ({"c": "b", "b": "a", "a": None, "d": "a"}, ["a", "b", "c", "d"]),
        ({}, []),
    ],
)
def test_build_order_puts_each_parent_first_and_keeps_the_given_order_otherwise(parents, order):
    assert build_order(parents) == order


@pytest.mark.parametrize(
    ("parents", "image", "message"),
    [
        ({"a": "b", "b": "a"}, "a", "the parents form a cycle: a → b → a"),
        ({"x": None, "a": "a"}, "a", "the parents form a cycle: a → a"),
        ({"x": "y", "y": "z", "z": "y"}, "y", "the parents form a cycle: y → z → y"),
        ({"www": "bsae"}, "www", 'image www names parent "bsae", which is not an image of the pipeline'),
    ],
)
def test_build_order_refuses_a_cycle_or_an_unknown_parent_naming_the_image(parents, image, message):
    with pytest.raises(BuildOrderError) as error:
        build_order(parents)
    assert (error.value.image, str(error.value)) == (image, message)


def test_dockerfile_stages_and_build_arguments():
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG BASE_IMAGE=debian:12\n"
        "FROM --platform=linux/amd64 ${BASE_IMAGE} AS Test\n"
        "ARG REFRESH_KEY\n"
        "RUN echo \\\n"
        "  FROM nothing AS fake\n"
        "FROM ${BASE_IMAGE} as release\n"
        "ARG BASE_IMAGE\n"
        "FROM scratch\n"
    )
    assert dockerfile.stages(text) == ["test", "release"]
    assert dockerfile.build_arguments(text) == ["BASE_IMAGE", "REFRESH_KEY"]


# --- the component, as a stack registers it ---------------------------------------------------


@pytest.fixture(params=["staging", "prod"])
def run(request, stack_run):
    return stack_run(request.param)


def test_one_immutable_scanned_encrypted_repository_per_image(run):
    repositories = by_type(run, REPO_TYPE)
    assert sorted(r.name for r in repositories) == ["images-base", "images-micro", "images-www"]
    for image in ("base", "www", "micro"):
        inputs = one(run, REPO_TYPE, f"images-{image}").inputs
        assert inputs["name"] == f"showrunner/{run.stack}/{image}"
        # Every tag immutable but the build cache's, which no host runs.
        assert inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
        assert inputs["imageTagMutabilityExclusionFilters"] == [{"filter": "build-cache", "filterType": "WILDCARD"}]
        assert inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert inputs["encryptionConfigurations"] == [{"encryptionType": "KMS"}]
        assert inputs["tags"]["Image"] == image
        assert inputs["tags"]["Environment"] == run.stack


def test_each_repository_has_the_configured_lifecycle_policy(run):
    expected = lifecycle_policy(run.settings.image_pipeline.keep_releases, run.settings.image_pipeline.untagged_expiry_days)
    policies = by_type(run, "aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert sorted(p.name for p in policies) == ["images-base-lifecycle", "images-micro-lifecycle", "images-www-lifecycle"]
    for image in ("base", "www", "micro"):
        policy = one(run, "aws:ecr/lifecyclePolicy:LifecyclePolicy", f"images-{image}-lifecycle")
        assert policy.inputs["repository"] == f"showrunner/{run.stack}/{image}"
        assert json.loads(policy.inputs["policy"]) == expected


BUILDS = [("images-base", "base"), ("images-base-cache", "base"), ("images-www", "www"), ("images-www-test", "www"),
          ("images-micro", "micro"), ("images-micro-cache", "micro")]


def test_three_images_built_from_their_own_directories(run):
    images = {r.name: r.inputs for r in by_type(run, IMAGE_TYPE)}
    assert sorted(images) == sorted(name for name, _ in BUILDS)
    for name, directory in BUILDS:
        build = images[name]["build"]
        assert build["context"] == f"images/{directory}"
        assert build["dockerfile"] == f"images/{directory}/Dockerfile"
        assert build["platform"] == "linux/amd64"


def test_every_build_runs_on_preview_and_reuses_the_registry_cache(run):
    """`pulumi preview` builds what `pulumi up` would push (a failing test stage fails the preview),
    and every build of an image, on any machine, reuses the layers its `build-cache` tag holds."""
    for name, directory in BUILDS:
        inputs = one(run, IMAGE_TYPE, name).inputs
        assert inputs["buildOnPreview"] is True
        cache = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/{run.stack}/{directory}:build-cache"
        assert inputs["build"]["cacheFrom"] == {"images": [cache]}
        assert inputs["build"]["builderVersion"] == "BuilderBuildKit" and inputs["build"]["args"]["BUILDKIT_INLINE_CACHE"] == "1"


def test_the_cache_is_the_test_stage_or_the_release_stage_rebuilt(run):
    """www's test stage (its dependencies and tests) is what the next www build reuses; base and
    micro, without one, push their release stage again, from the local cache, under the cache tag."""
    cache = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/{run.stack}"
    test = one(run, IMAGE_TYPE, "images-www-test")
    assert (test.inputs["imageName"], test.inputs["skipPush"]) == (f"{cache}/www:build-cache", False)
    for image in ("base", "micro"):
        release, again = one(run, IMAGE_TYPE, f"images-{image}"), one(run, IMAGE_TYPE, f"images-{image}-cache")
        assert (again.inputs["imageName"], again.inputs["skipPush"]) == (f"{cache}/{image}:build-cache", False)
        assert again.inputs["build"] == release.inputs["build"] and release.urn in again.dependencies


def test_www_is_built_on_the_base_images_digest(run):
    base = one(run, IMAGE_TYPE, "images-base")
    base_digest = run.outputs["image_digests"]["base"]
    assert base_digest.startswith(f"123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/{run.stack}/base@sha256:")
    for name in ("images-www", "images-www-test"):
        www = one(run, IMAGE_TYPE, name)
        assert www.inputs["build"]["args"] == {"BASE_IMAGE": base_digest, "BUILDKIT_INLINE_CACHE": "1"}
        assert base.urn in www.dependencies


def test_release_image_waits_for_the_test_stage(run):
    test = one(run, IMAGE_TYPE, "images-www-test")
    release = one(run, IMAGE_TYPE, "images-www")
    assert test.inputs["build"]["target"] == "test"
    assert release.inputs["build"]["target"] == "release"
    assert release.inputs["skipPush"] is False
    assert test.urn in release.dependencies


def test_base_tag_carries_the_refresh_key_so_a_new_week_rebuilds_it(run):
    base = one(run, IMAGE_TYPE, "images-base")
    refresh_key = run.settings.image_pipeline.refresh_key
    assert base.inputs["build"]["args"] == {"BUILDKIT_INLINE_CACHE": "1", "REFRESH_KEY": refresh_key}
    assert base.inputs["imageName"].startswith(f"123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/{run.stack}/base:{refresh_key}-")


def test_images_push_with_ecr_credentials_kept_secret(run):
    for image in by_type(run, IMAGE_TYPE):
        registry = image.inputs["registry"]
        assert registry["server"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/")
        assert registry["username"] == "AWS"
        assert registry["password"] == SECRET


def test_stack_exports_digests_never_tags(run):
    digests = run.outputs["image_digests"]
    assert sorted(digests) == ["base", "micro", "www"]
    for image, reference in digests.items():
        repository, _, digest = reference.partition("@sha256:")
        assert repository == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/{run.stack}/{image}"
        assert len(digest) == 64 and ":" not in repository.rsplit("/", 1)[1]


# --- the component on its own Args (another program's images) -----------------------------------


def _context(root: Path, name: str, dockerfile_text: str) -> str:
    (root / name).mkdir()
    (root / name / "Dockerfile").write_text(dockerfile_text)
    return str(root / name)


RELEASED = "210987654321.dkr.ecr.us-east-1.amazonaws.com/other/staging/os@sha256:" + "cd" * 32


def test_a_child_of_a_released_parent_is_built_on_the_released_reference_weekly(tmp_path):
    import pulumi
    from showrunner_components.image_pipeline import ImagePipeline, ImagePipelineArgs

    contexts = {
        "os": _context(tmp_path, "os", "FROM debian:12\n"),
        "app": _context(tmp_path, "app", "ARG PARENT\nARG REFRESH_KEY\nFROM ${PARENT} AS check\nFROM ${PARENT}\n"),
    }

    def program():
        pipeline = ImagePipeline("pipe", ImagePipelineArgs(
            repository_prefix="other/test",
            images=[
                {"name": "app", "context": contexts["app"], "parent": "os", "parent_build_arg": "PARENT", "weekly": True, "test_target": "check"},
                {"name": "os", "context": contexts["os"], "release": RELEASED},
            ],
            refresh_key="2026-W50",
            keep_releases=5,
        ))
        pulumi.export("digests", pipeline.digests)
        pulumi.export("arns", pipeline.repository_arns)

    resources, outputs = run_program(program)
    images = {r.name: r for r in resources if r.type == IMAGE_TYPE}
    assert sorted(images) == ["pipe-app", "pipe-app-test"]  # the released image is not built
    app = images["pipe-app"].inputs
    assert app["build"]["args"] == {"BUILDKIT_INLINE_CACHE": "1", "PARENT": RELEASED, "REFRESH_KEY": "2026-W50"}
    assert "target" not in app["build"]  # the Dockerfile's last stage
    recipe = build_recipe(context=contexts["app"], dockerfile=f"{contexts['app']}/Dockerfile", platform="linux/amd64", target=None,
                          test_target="check", registry_cache=True, build_on_preview=True)
    assert app["imageName"].split(":")[-1] == image_tag(context_hash(Path(contexts["app"])), RELEASED, "2026-W50", recipe)
    assert images["pipe-app-test"].inputs["build"]["target"] == "check"
    assert outputs["digests"]["os"] == RELEASED
    assert outputs["arns"] == {
        "os": "arn:aws:ecr:us-east-1:210987654321:repository/other/staging/os",
        "app": "arn:aws:ecr:us-east-1:123456789012:repository/other/test/app",
    }
    policies = [r for r in resources if r.type == "aws:ecr/lifecyclePolicy:LifecyclePolicy"]
    assert {p.name for p in policies} == {"pipe-app-lifecycle", "pipe-os-lifecycle"}
    assert json.loads(policies[0].inputs["policy"]) == lifecycle_policy(5, 3)


def test_without_the_registry_cache_every_tag_is_immutable_and_the_test_stage_stays_local(tmp_path):
    import pulumi
    from showrunner_components.image_pipeline import ImagePipeline, ImagePipelineArgs

    context = _context(tmp_path, "app", "FROM debian:12 AS check\nFROM debian:12\n")

    def program():
        ImagePipeline("pipe", ImagePipelineArgs(repository_prefix="other/test", images=[{"name": "app", "context": context, "test_target": "check"}],
                                                registry_cache=False, build_on_preview=False))

    resources, _ = run_program(program)
    [repository] = [r for r in resources if r.type == REPO_TYPE]
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE" and "imageTagMutabilityExclusionFilters" not in repository.inputs
    images = {r.name: r.inputs for r in resources if r.type == IMAGE_TYPE}
    assert sorted(images) == ["pipe-app", "pipe-app-test"]
    assert images["pipe-app-test"]["skipPush"] is True
    assert images["pipe-app-test"]["imageName"] == images["pipe-app"]["imageName"] + "-test"
    for inputs in images.values():
        assert inputs["buildOnPreview"] is False and "cacheFrom" not in inputs["build"] and "args" not in inputs["build"]


@pytest.mark.parametrize(
    ("image", "refresh_key", "message"),
    [
        ({"weekly": True}, None, "image app is weekly: ImagePipelineArgs needs refresh_key"),
        ({"test_target": "tests"}, "2026-W50", 'image app: test_target "tests" is not a stage of {dockerfile} (stages: build)'),
        ({"parent": "nowhere"}, None, 'image app names parent "nowhere", which is not an image of the pipeline'),
    ],
)
def test_the_component_refuses_args_that_would_fail_mid_build(tmp_path, image, refresh_key, message):
    from showrunner_components.image_pipeline import ImagePipeline

    context = _context(tmp_path, "app", "FROM scratch AS build\n")
    args = {"repository_prefix": "other/test", "images": [{"name": "app", "context": context, **image}]}
    if refresh_key:
        args["refresh_key"] = refresh_key
    with pytest.raises(ValueError) as error:
        run_program(lambda: ImagePipeline("pipe", args))
    assert str(error.value) == message.format(dockerfile=Path(context) / "Dockerfile")


def test_the_program_hands_its_entries_to_the_pipeline_in_the_components_words(stack_run, monkeypatch):
    from showrunner import wiring
    from tests.conftest import PROJECT_DIR

    monkeypatch.chdir(PROJECT_DIR)  # contexts are paths from the working directory, as Docker reads them
    args = wiring.image_pipeline_args(stack_run("prod").settings, PROJECT_DIR, {"Project": "showrunner"})
    assert args == {
        "repository_prefix": "showrunner/prod",
        "images": [
            {"name": "base", "context": "images/base", "weekly": True},
            {"name": "www", "context": "images/www", "parent": "base", "target": "release", "test_target": "test"},
            {"name": "micro", "context": "images/micro"},
        ],
        "refresh_key": "2026-W48",
        "keep_releases": 20,
        "untagged_expiry_days": 3,
        "tags": {"Project": "showrunner"},
    }
