"""Values the policy pack must spell as the program does: the pack cannot import the program, so
it keeps its own copies, and these tests keep them equal."""

from __future__ import annotations

import importlib.machinery
import importlib.util

from showrunner import mocks, policy
from showrunner.config import checks, stackfile
from tests.conftest import PROJECT_DIR


def test_one_secret_marker():
    assert mocks.REDACTED is stackfile.SECRET_PLACEHOLDER
    assert policy.rules().SECRET == stackfile.SECRET_PLACEHOLDER == "[secret]"


def test_the_same_stacks_are_prod():
    assert policy.rules().PROD_STACKS == frozenset(checks.PROD_STACKS)
    # tools/stacks (the workflows' stack list: production stacks get offline pull-request previews).
    loader = importlib.machinery.SourceFileLoader("stacks_tool", str(PROJECT_DIR / "tools" / "stacks"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("stacks_tool", loader))
    loader.exec_module(module)
    assert module.PROD_STACKS == checks.PROD_STACKS
