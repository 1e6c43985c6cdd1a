"""Values the policy pack must spell as the program does: the pack cannot import the program, so
it keeps its own copies, and these tests keep them equal."""

from __future__ import annotations

from showrunner import mocks, policy
from showrunner.config import stackfile
from showrunner_components import tagging


def test_one_secret_marker():
    assert mocks.REDACTED is stackfile.SECRET_PLACEHOLDER
    assert policy.rules().SECRET == stackfile.SECRET_PLACEHOLDER == "[secret]"


def test_one_production_tag():
    assert policy.rules().PRODUCTION_TAG == tagging.PRODUCTION_TAG == "Production"
