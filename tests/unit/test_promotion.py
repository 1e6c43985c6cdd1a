"""Promoting to prod: prod runs exactly the reference staging built and tested, and builds nothing for it."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from showrunner.config import ConfigError, load_settings
from showrunner.config.images import release_pins
from showrunner.engine import load_stack, run_stack
from showrunner_components.image_pipeline.builds import repository_arn_of
from tests.conftest import PROJECT_DIR, by_type, one
from tests.unit.config.test_loading import valid

STAGING_WWW = "123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/staging/www@sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["showrunner:images"] = {"www": {"release": STAGING_WWW}}
    path = tmp_path_factory.mktemp("promote") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(stack))
    return run_stack(PROJECT_DIR, "prod", path)


def test_a_promoted_image_is_not_built_again(promoted):
    images = {r.name for r in by_type(promoted, "docker:index/image:Image")}
    assert images == {"images-base", "images-base-cache", "images-micro", "images-micro-cache"}
    assert promoted.outputs["image_digests"]["www"] == STAGING_WWW


def test_hosts_run_the_promoted_reference_and_may_pull_only_its_repository(promoted):
    user_data = base64.b64decode(one(promoted, "aws:ec2/launchTemplate:LaunchTemplate", "www-lt").inputs["userData"]).decode()
    assert STAGING_WWW in user_data
    policy = json.loads(one(promoted, "aws:iam/rolePolicy:RolePolicy", "www-role-policy").inputs["policy"])
    pulls = next(s for s in policy["Statement"] if s["Sid"] == "EcrPullStackRepositories")
    assert pulls["Resource"] == ["arn:aws:ecr:us-east-1:123456789012:repository/showrunner/staging/www"]


def test_repository_arn_of_a_reference():
    assert repository_arn_of(STAGING_WWW) == "arn:aws:ecr:us-east-1:123456789012:repository/showrunner/staging/www"


@pytest.mark.parametrize(
    ("image", "release", "expected"),
    [
        ("www", "showrunner/www:latest",
         'showrunner:images.www.release: "showrunner/www:latest" is not an ECR image pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:…)'),
        ("base", STAGING_WWW, 'showrunner:images.base.release: no service runs image "base"; promotion pins the images services run'),
        ("serch", STAGING_WWW, 'showrunner:images.serch.release: no image "serch" is built by this project (images: base, micro, www)'),
    ],
)
def test_a_release_pin_must_be_an_ecr_digest_of_a_deployed_image(image, release, expected):
    config = valid()
    config["images"].setdefault(image, {})["release"] = release
    with pytest.raises(ConfigError) as caught:
        load_settings(config, project="showrunner", stack="qa", project_dir=PROJECT_DIR)
    assert caught.value.problems == [expected]


MANIFEST = {
    "base": STAGING_WWW.replace("/www@", "/base@"),
    "www": STAGING_WWW,
    "micro": STAGING_WWW.replace("/www@", "/micro@"),
}


def test_promotion_pins_every_image_the_stacks_services_run():
    settings = load_stack(PROJECT_DIR, "prod")[3]
    assert release_pins(MANIFEST, settings) == {"micro": MANIFEST["micro"], "www": STAGING_WWW}


def test_promotion_refuses_a_manifest_without_a_digest_for_a_running_image():
    settings = load_stack(PROJECT_DIR, "prod")[3]
    with pytest.raises(ConfigError) as caught:
        release_pins({"www": "showrunner/www:latest"}, settings)
    assert caught.value.problems == [
        "micro: is not in the manifest, but a service of stack prod runs it",
        'www: "showrunner/www:latest" is not an ECR reference pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:…)',
    ]


def test_make_promote_gets_one_line_per_pin_or_every_problem(tmp_path):
    import subprocess
    import sys

    manifest = tmp_path / "release.json"
    manifest.write_text(json.dumps(MANIFEST))
    tool = [sys.executable, str(PROJECT_DIR / "tools" / "release-pins"), "--stack", "prod", str(manifest)]
    result = subprocess.run(tool, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"micro {MANIFEST['micro']}\nwww {STAGING_WWW}\n", "")

    manifest.write_text(json.dumps({"www": STAGING_WWW}))
    result = subprocess.run(tool, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"release-pins: {manifest}: micro: is not in the manifest, but a service of stack prod runs it\n"
