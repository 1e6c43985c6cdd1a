"""Values the policy pack must spell as the program does: the pack cannot import the program, so
it keeps its own copies, and these tests keep them equal."""

from __future__ import annotations

import importlib.machinery
import importlib.util

from showrunner import mocks, policy
from showrunner.config import stackfile
from showrunner_components import tagging
from showrunner_components.image_pipeline.builds import CACHE_TAG
from tests.conftest import PROJECT_DIR


def test_one_secret_marker():
    assert mocks.REDACTED is stackfile.SECRET_PLACEHOLDER
    assert policy.rules().SECRET == stackfile.SECRET_PLACEHOLDER == "[secret]"


def test_one_production_tag():
    assert policy.rules().PRODUCTION_TAG == tagging.PRODUCTION_TAG == "Production"


def test_production_is_what_the_stack_file_declares_for_the_workflows_too():
    """tools/stacks (the workflows' stack list: production stacks get offline pull-request previews)
    reads `showrunner:production`, as the program does, not the stack's name."""
    loader = importlib.machinery.SourceFileLoader("stacks_tool", str(PROJECT_DIR / "tools" / "stacks"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("stacks_tool", loader))
    loader.exec_module(module)
    listed = module.stacks(PROJECT_DIR)
    assert [e["stack"] for e in listed["offline"]] == ["prod"]
    assert [e["stack"] for e in listed["previewed"]] == ["staging"]


def test_the_one_mutable_tag_is_the_build_cache():
    assert policy.rules().BUILD_CACHE_TAG == CACHE_TAG == "build-cache"
