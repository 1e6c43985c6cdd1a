"""The offline engine's two patches of SDK internals hold for its own run only.

`engine.run_stack` leaves out the per-registration stack trace and the stand-in URN the SDK
computes for a monitor-less response; both are put back when the run ends, so the unit tests'
own mock runs (and any other program in the process) see the SDK as it ships.
"""

from __future__ import annotations

import sys

from pulumi.runtime import resource as runtime_resource

from showrunner import engine
from tests.conftest import PROJECT_DIR


def test_a_run_puts_the_sdk_back_as_it_found_it():
    shipped = (runtime_resource.create_urn, runtime_resource._get_stack_trace)
    seen = {}

    def spy(*args, **kwargs):
        seen["during"] = (runtime_resource.create_urn, runtime_resource._get_stack_trace)
        return real(*args, **kwargs)

    real = engine.runpy.run_path
    engine.runpy.run_path = spy
    try:
        engine.run_stack(PROJECT_DIR, "staging")
    finally:
        engine.runpy.run_path = real
    assert seen["during"][0] is not shipped[0] and seen["during"][1] is not shipped[1], "both patched while the program runs"
    assert (runtime_resource.create_urn, runtime_resource._get_stack_trace) == shipped


def test_the_sdk_s_registrations_are_the_caller_that_gets_no_urn(monkeypatch):
    """Should the SDK rename `do_register`, every registration would reach `create_urn` again."""
    callers = []
    shipped = runtime_resource.create_urn

    def counting(*args):
        callers.append(sys._getframe(1).f_code.co_name)
        return shipped(*args)

    monkeypatch.setattr(runtime_resource, "create_urn", counting)
    run = engine.run_stack(PROJECT_DIR, "staging")
    assert "do_register" not in callers
    assert len(callers) < len(run.resources) / 2, f"{len(callers)} URNs computed for {len(run.resources)} resources"


def test_only_the_registration_gets_no_urn_other_callers_get_the_sdk_s():
    calls = []
    original = runtime_resource.create_urn
    runtime_resource.create_urn = lambda *args: calls.append(args) or "computed"
    try:
        with engine._without_unused_urns():
            def do_register():
                return runtime_resource.create_urn("name", "type")

            def inherited_child_alias():
                return runtime_resource.create_urn("name", "type")

            assert do_register() is not None and calls == []
            assert inherited_child_alias() == "computed" and calls == [("name", "type", None, None, None)]
    finally:
        runtime_resource.create_urn = original
