"""Values the policy pack must spell as the program does: the pack cannot import the program, so
it keeps its own copies, and these tests keep them equal."""

from __future__ import annotations

from showrunner import mocks, policy
from showrunner.config import checks, stackfile


def test_one_secret_marker():
    assert mocks.REDACTED is stackfile.SECRET_PLACEHOLDER
    assert policy.rules().SECRET == stackfile.SECRET_PLACEHOLDER == "[secret]"


def test_the_same_stacks_are_prod():
    assert policy.rules().PROD_STACKS == frozenset(checks.PROD_STACKS)
