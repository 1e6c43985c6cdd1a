"""The offline engine's mock monitor answers a registration as the SDK's own `MockMonitor` does.

`RecordingMonitor` serializes the mocks' state with `mocks.plain_struct` where the state is plain
data; the oracle is the SDK's serializer (`rpc.serialize_properties`) on the same states: every
resource of the prod and staging previews.
"""

from __future__ import annotations

import asyncio
import enum

import pulumi
import pytest
from pulumi.runtime import rpc

from showrunner import mocks
from showrunner.engine import run_stack
from tests.conftest import PROJECT_DIR, STACKS


def _sdk_struct(state: dict):
    return asyncio.new_event_loop().run_until_complete(rpc.serialize_properties(state, {}))


@pytest.mark.parametrize("stack", STACKS)
def test_every_state_of_a_real_stack_serializes_to_the_bytes_the_sdk_makes(stack, monkeypatch):
    answered = []
    real = mocks.plain_struct

    def recording(state):
        struct = real(state)
        answered.append((state, struct))
        return struct

    monkeypatch.setattr(mocks, "plain_struct", recording)
    run = run_stack(PROJECT_DIR, stack)
    assert len(answered) == len(run.resources) > 100, "every resource (the Stack is not recorded)"
    plain = [(state, struct) for state, struct in answered if struct is not None]
    assert len(plain) > 0.9 * len(answered), "nearly every state is plain data"
    for state, struct in plain:
        assert struct.SerializeToString(deterministic=True) == _sdk_struct(state).SerializeToString(deterministic=True)


class Colour(str, enum.Enum):
    RED = "red"


@pytest.mark.parametrize("value", [Colour.RED, ("a", "b"), pulumi.Output.from_input("x"), {1: "int key"}, [b"bytes"]],
                         ids=["enum", "tuple", "output", "int key", "bytes"])
def test_anything_but_plain_data_is_left_to_the_sdk(value):
    assert mocks.plain_struct({"value": value}) is None
    assert mocks.plain_struct({"nested": {"list": [value]}}) is None


def test_a_top_level_none_is_dropped_and_a_nested_one_kept_as_the_sdk_does():
    state = {"gone": None, "kept": {"inner": None, "list": [None, 1, 2.5, True, "s"]}}
    assert mocks.plain_struct(state).SerializeToString(deterministic=True) == _sdk_struct(state).SerializeToString(deterministic=True)
    assert "gone" not in mocks.plain_struct(state)
