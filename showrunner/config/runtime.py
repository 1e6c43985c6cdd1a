"""Build the stack's `Settings` inside a running Pulumi program (real CLI or offline engine)."""

from __future__ import annotations

from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from showrunner.config import stackfile
from showrunner.config import ConfigError, Settings
from showrunner.config.loading import load_config


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
    config = _program_config()
    # The CLI marks a whole key secret when any value under it is (`--secret --path`).
    secret_keys = [key for key in config if runtime_config.is_config_secret(key)]
    try:
        return load_config(
            project, config, stack=pulumi.get_stack(), secret_keys=secret_keys, problems=project.problems, project_dir=project.directory
        )
    except ConfigError as error:
        raise pulumi.RunError(f"{error.headline(pulumi.get_stack())}:\n" + str(error)) from None
