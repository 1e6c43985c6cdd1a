"""Promoting to prod: prod runs exactly the reference staging built and tested, and builds nothing for it."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from showrunner_components.image_pipeline.component import repository_arn_of
from showrunner.engine import run_stack
from tests.conftest import PROJECT_DIR, by_type, one
from tests.unit.config.test_loading import problems_of, valid

STAGING_WWW = "123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/staging/www@sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["showrunner:images"]["release"] = {"www": STAGING_WWW}
    path = tmp_path_factory.mktemp("promote") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(stack))
    return run_stack(PROJECT_DIR, "prod", path)


def test_a_promoted_image_is_not_built_again(promoted):
    images = {r.name for r in by_type(promoted, "docker:index/image:Image")}
    assert images == {"images-base", "images-micro"}
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
    ("release", "expected"),
    [
        ({"www": "showrunner/www:latest"},
         'showrunner:images.release.www: "showrunner/www:latest" is not an ECR image pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:…)'),
        ({"base": STAGING_WWW}, "showrunner:images.release.base: \"base\" is not one of 'www' or 'micro'"),
    ],
)
def test_a_release_pin_must_be_an_ecr_digest_of_a_deployed_image(release, expected):
    config = valid()
    config["images"]["release"] = release
    assert problems_of(config) == [expected]
