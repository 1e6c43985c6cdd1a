"""Run a function as a one-file Pulumi program under the offline engine's mocks, recording what it registers."""

from __future__ import annotations

from typing import Any, Callable


def run_program(program: Callable[[], Any], project: str = "other", stack: str = "test") -> tuple[list, dict]:
    """The resources `program` registers (`RecordedResource`s) and the stack outputs it exports."""
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    from showrunner.mocks import RecordingMonitor, ShowrunnerMocks

    mocks = ShowrunnerMocks(stack)
    monitor = RecordingMonitor(mocks)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
    # set_mocks starts a root stack of its own; the program's is made by run_in_stack below.
    runtime_settings.ROOT.set(None)
    _sync_await(run_in_stack(program))
    return monitor.recorded, monitor.stack_outputs
