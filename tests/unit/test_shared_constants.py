"""Values the policy pack must spell as the program does: the pack cannot import the program, so
it keeps its own copies, and these tests keep them equal."""

from __future__ import annotations

from showrunner import mocks, policy
from showrunner.config import checks, stackfile
from showrunner_components.image_pipeline.builds import CACHE_TAG


def test_one_secret_marker():
    assert mocks.REDACTED is stackfile.SECRET_PLACEHOLDER
    assert policy.rules().SECRET == stackfile.SECRET_PLACEHOLDER == "[secret]"


def test_the_same_stacks_are_prod():
    assert policy.rules().PROD_STACKS == frozenset(checks.PROD_STACKS)


def test_the_one_mutable_tag_is_the_build_cache():
    assert policy.rules().BUILD_CACHE_TAG == CACHE_TAG == "build-cache"
