"""Run the Pulumi program offline, under mocks, with a stack's real configuration.

This is what `pulumi preview` does minus the cloud: the config is fed in the shape the CLI feeds
it (`project:key` names, objects as JSON strings, project defaults merged, `secure:` values
replaced by a placeholder and their keys marked secret), `__main__.py` runs unchanged, and every
resource registration is recorded with its inputs, parent and options.
"""

from __future__ import annotations

import runpy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from showrunner.config import stackfile
from showrunner.config import ConfigError, Settings
from showrunner.config.loading import load_config
from showrunner.config.messages import NAMESPACE
from showrunner.mocks import REGION, RecordedResource, RecordingMonitor, ShowrunnerMocks

class OfflineRunError(Exception):
    """The program could not be previewed; the message is for the user, one line per problem."""


@dataclass
class StackRun:
    project: str
    stack: str
    settings: Settings | None
    """This project's validated settings; None for another Pulumi project (an example program)."""
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_keys: list[str]


def load_stack(project_dir: Path, stack: str, config_file: Path | None = None):
    """Project, CLI-shaped config, secret keys and validated settings of one stack.

    Any Pulumi project runs offline; the showrunner project's own configuration is validated first,
    so that every problem is listed before anything is registered. Raises `StackConfigError` for an
    unreadable file and `ConfigError` for invalid config.
    """
    project = stackfile.load_project(project_dir)
    stack_file = stackfile.load_stack_file(config_file or project.stack_file(stack), project)
    config, secret_keys = stackfile.cli_config(project, stack_file.values)
    settings = None
    if project.name == NAMESPACE:
        settings = load_config(
            project,
            config,
            stack=stack,
            secret_keys=secret_keys,
            secure_leaves=stackfile.secure_paths(stack_file.values),
            problems=[*project.problems, *stack_file.problems],
            project_dir=project.directory,
        )
    elif project.problems or stack_file.problems:
        raise ConfigError([*project.problems, *stack_file.problems])
    return project, config, secret_keys, settings


def run_stack(project_dir: Path | str, stack: str, config_file: Path | str | None = None) -> StackRun:
    """Validate the stack's config, then run `__main__.py` under mocks and record every resource."""
    project_dir = Path(project_dir).resolve()
    project, config, secret_keys, settings = load_stack(project_dir, stack, Path(config_file) if config_file else None)

    mocks = ShowrunnerMocks(stack, region=stackfile.decode(config.get("aws:region", REGION)))
    monitor = RecordingMonitor(mocks)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(mocks, project=project.name, stack=stack, preview=True, monitor=monitor)
    # set_mocks starts a root stack of its own; the program's is made by run_in_stack below.
    runtime_settings.ROOT.set(None)

    program = project_dir / "__main__.py"
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    try:
        # As the language host runs a program: inside a fresh Stack, which registers the
        # exports as its outputs when the program is done.
        _sync_await(run_in_stack(lambda: runpy.run_path(str(program), run_name="__main__")))
    except Exception as error:
        if mocks.unmocked_calls:
            tokens = ", ".join(sorted(set(mocks.unmocked_calls)))
            raise OfflineRunError(f"the program called {tokens}, which the offline engine does not mock; add it to showrunner/mocks.py") from error
        if isinstance(error, pulumi.RunError):
            raise OfflineRunError(str(error)) from error
        raise
    if mocks.unmocked_calls:
        tokens = ", ".join(sorted(set(mocks.unmocked_calls)))
        raise OfflineRunError(f"the program called {tokens}, which the offline engine does not mock; add it to showrunner/mocks.py")
    return StackRun(
        project=project.name,
        stack=stack,
        settings=settings,
        resources=list(monitor.recorded),
        outputs=monitor.stack_outputs,
        secret_keys=secret_keys,
    )
