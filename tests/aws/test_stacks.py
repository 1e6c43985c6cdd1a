"""Both stacks, checked against AWS's own published rules (see tests/aws/check.py for each kind).

Each test fails with the whole list of its findings, one per line.
"""

from __future__ import annotations

import pytest

from tests.aws import check
from tests.aws.stacks import STACKS


@pytest.mark.parametrize("kind", list(check.KINDS))
@pytest.mark.parametrize("stack", STACKS)
def test_stack(stack, kind):
    found = check.KINDS[kind](stack)
    assert not found, f"{stack}: {len(found)} {kind} finding(s):\n" + "\n".join(f"  {f}" for f in found)


def test_the_roles_page_is_what_the_check_proves():
    from tests.aws import roles

    assert roles.DOC.read_text() == roles.render(), "docs/roles.md is stale: run .venv/bin/python -m tests.aws.roles --write"
