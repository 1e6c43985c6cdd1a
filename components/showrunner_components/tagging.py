"""Tags, merged in one fixed order: stack-wide, then `Name`, then per-resource."""

from __future__ import annotations

from collections.abc import Mapping

PRODUCTION_TAG = "Production"
"""On every resource of a production stack (value `true`): how the policy pack tells production
resources apart, since it sees resources, not the stack's configuration."""
PROGRAM_TAG_KEYS = ("Environment", PRODUCTION_TAG, "Name", "Service", "Tier", "Image", "Fleet")
"""Every key the program itself may put on a resource, on top of the configured tags."""


def stack_tags(project_tags: Mapping[str, str], environment: str, production: bool = False) -> dict[str, str]:
    """The tags every resource of a stack carries: the configured ones plus `Environment` (and `Production`)."""
    return {**project_tags, "Environment": environment, **({PRODUCTION_TAG: "true"} if production else {})}


def merge_tags(stack: Mapping[str, str], name: str | None = None, **resource: str) -> dict[str, str]:
    merged = dict(stack)
    if name is not None:
        merged["Name"] = name
    merged.update(resource)
    return merged
