"""What a preview or diff compares against: a preview JSON file, or a git ref previewed offline.

A ref is checked out in a temporary worktree and previewed there with its own code (the program,
the components and the offline engine of that commit), the same stack and, when the stack file is
inside the repository, that commit's version of it. Uncommitted changes are what the working tree
has and the ref has not. A ref without the stack's file is an empty base: every resource is new.

Build artifacts git does not hold (the images' wheelhouses, which their image tags hash) are lent
from the working tree, so that a ref previews the images it would build on this machine: without
them every image would look changed. A ref whose pins differ still shows its images changed, since
the pinned files are part of each context.

    python -m showrunner.baseline REF STACK OUT.json     (what `make diff` runs; prints the note, if any)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class BaselineError(Exception):
    """The base cannot be had; the message is one line."""


def _git(project_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, check=False)


WHEELHOUSES = "images/*/wheelhouse"
"""The build artifacts a ref's worktree borrows from the working tree."""


def _lend_wheelhouses(project: Path, base_project: Path) -> None:
    for wheels in sorted(project.glob(WHEELHOUSES)):
        context = base_project / wheels.parent.relative_to(project)
        if wheels.is_dir() and context.is_dir() and not (context / "wheelhouse").exists():
            shutil.copytree(wheels, context / "wheelhouse", symlinks=True)


def new_stack_note(ref: str, stack: str) -> str:
    return f"{ref} has no Pulumi.{stack}.yaml, so the base is empty and every resource is a create."


def preview_ref(project_dir: Path, ref: str, stack: str, config_file: Path | None, out: Path) -> str | None:
    """Write the offline preview JSON of `ref` (stack `stack`) to `out`; return a note when the ref
    has no file for the stack (the base is then empty)."""
    if shutil.which("git") is None:
        raise BaselineError(f"--base {ref}: git is not installed, and {ref} is not a file")
    top = _git(project_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaselineError(f"--base {ref}: not a file, and {project_dir} is not in a git repository")
    if _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise BaselineError(f"--base {ref}: neither a preview JSON file nor a commit of {top.stdout.strip()}")
    repository = Path(top.stdout.strip())
    with tempfile.TemporaryDirectory(prefix="showrunner-base-") as tmp:
        worktree = Path(tmp) / "base"
        added = _git(project_dir, "worktree", "add", "--quiet", "--detach", str(worktree), ref)
        if added.returncode != 0:
            raise BaselineError(f"--base {ref}: cannot check it out ({added.stderr.strip().splitlines()[-1:]})")
        try:
            base_project = worktree / project_dir.resolve().relative_to(repository.resolve())
            if config_file is None and not (base_project / f"Pulumi.{stack}.yaml").is_file():
                out.write_text('{"steps": []}\n')
                return new_stack_note(ref, stack)
            _lend_wheelhouses(project_dir.resolve(), base_project)
            command = [sys.executable, "-m", "showrunner.cli", "--project-dir", str(base_project),
                       "preview", "--stack", stack, "--json", str(out)]
            if config_file is not None:
                config_file = config_file.resolve()
                inside = config_file.is_relative_to(repository.resolve())
                command += ["--config-file", str(worktree / config_file.relative_to(repository.resolve()) if inside else config_file)]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(base_project), str(base_project / "components")])}
            env.pop("NO_COLOR", None)
            run = subprocess.run(command, cwd=base_project, env=env, capture_output=True, text=True, check=False)
            if not out.is_file() or out.stat().st_size == 0:
                tail = " | ".join((run.stderr or run.stdout).strip().splitlines()[-3:])
                raise BaselineError(f"--base {ref}: its offline preview failed: {tail}")
        finally:
            _git(project_dir, "worktree", "remove", "--force", str(worktree))
    return None


def main(argv: list[str] | None = None) -> int:
    ref, stack, out = argv if argv is not None else sys.argv[1:]
    try:
        note = preview_ref(Path.cwd(), ref, stack, None, Path(out))
    except BaselineError as error:
        print(f"diff: {error}", file=sys.stderr)
        return 2
    if note:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
