"""Fixtures shared by every tier."""

from __future__ import annotations

from pathlib import Path

import pytest

from showrunner.engine import StackRun, run_stack

PROJECT_DIR = Path(__file__).resolve().parents[1]
STACKS = ("staging", "prod")


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def stack_run():
    """`stack_run("prod")`: the whole program run offline on a real stack file (cached per session)."""
    runs: dict[str, StackRun] = {}

    def get(stack: str) -> StackRun:
        if stack not in runs:
            runs[stack] = run_stack(PROJECT_DIR, stack)
        return runs[stack]

    return get


def by_type(run: StackRun, type_token: str) -> list:
    return [r for r in run.resources if r.type == type_token]


def one(run: StackRun, type_token: str, name: str):
    matches = [r for r in run.resources if r.type == type_token and r.name == name]
    assert len(matches) == 1, f"expected one {type_token} named {name}, found {[r.name for r in by_type(run, type_token)]}"
    return matches[0]
