"""Build the stack's `Settings` inside a running Pulumi program (real CLI or offline engine)."""

from __future__ import annotations

from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from showrunner.config import stackfile
from showrunner.config import ConfigError, Settings, load_settings


def _program_config() -> dict[str, str]:
    """Every config value the engine gave this program, by `project:key`."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def stack_settings(project_dir: Path) -> Settings:
    """Validate this stack's config as a whole, before any resource exists.

    The CLI hands over a stack value in place of the project default; here the stack value is
    deep-merged over the default in Pulumi.yaml instead. Problems stop the run with one line each
    and no traceback (`pulumi.RunError`).
    """
    project = stackfile.load_project(project_dir)
    values = stackfile.namespace_values(project, _program_config())
    try:
        return load_settings(values, project=project.name, stack=pulumi.get_stack(), project_dir=project.directory)
    except ConfigError as error:
        raise pulumi.RunError(f"invalid configuration for stack {pulumi.get_stack()}:\n" + str(error)) from None
