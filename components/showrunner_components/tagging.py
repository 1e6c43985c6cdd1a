"""Tags, merged in one fixed order: stack-wide, then `Name`, then per-resource."""

from __future__ import annotations

from collections.abc import Mapping


def stack_tags(project_tags: Mapping[str, str], environment: str) -> dict[str, str]:
    """The tags every resource of a stack carries: the configured ones plus `Environment`."""
    return {**project_tags, "Environment": environment}


def merge_tags(stack: Mapping[str, str], name: str | None = None, **resource: str) -> dict[str, str]:
    merged = dict(stack)
    if name is not None:
        merged["Name"] = name
    merged.update(resource)
    return merged
