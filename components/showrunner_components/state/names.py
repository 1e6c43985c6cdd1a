"""The AWS names of a stack's stores: stable, so that the restore runbook (docs/runbooks/restore.md)
and snapshots can name them."""

from __future__ import annotations


def resource_name(stack: str, store: str) -> str:
    return f"showrunner-{stack}-{store}"


def queue_name(stack: str, queue: str, *, dead_letter: bool = False) -> str:
    return f"showrunner-{stack}-{queue}" + ("-dlq" if dead_letter else "")


def table_name(stack: str, table: str) -> str:
    return f"showrunner-{stack}-{table}"


def final_snapshot_identifier(stack: str, store: str) -> str:
    """Stable, so that the snapshot a deletion leaves behind is where docs/runbooks/restore.md says it is."""
    return f"showrunner-{stack}-{store}-final"

