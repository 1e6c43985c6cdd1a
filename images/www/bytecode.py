"""The bytecode the www release ships: that of the venv modules its test suite imports, no more.

The base image's venv carries no bytecode: pip's for every installed file (25.7 MB) is mostly
for modules nothing here imports, and without any a stack's gunicorn takes four times as long to
answer /healthz. So www's build compiles the whole venv in a stage of its own (`compiled`), and
its test stage loads this file in every Python process through a `.pth` hook: with
WWW_IMPORT_LOG set, pytest and each process the tests start (start-django's gunicorn and its
workers, the Celery worker, ...) write the file of every module they import to that directory
as they import it, so a test may kill what it started. The suite drives the site, its tasks,
its state backends and its entry points, so that is what the site imports at run time; of the
test tools only Django's own `django.test` (0.2 MB) is in the venv, the others are skipped.

    python3 bytecode.py list LOG_DIR LIST    (test stage) the venv's .py files the logs name, sorted
    python3 bytecode.py copy LIST DEST       (compiled stage) their bytecode, to the same paths under DEST

The release image lays DEST over the base. While the list is unchanged (most changes to the site
import nothing new), Docker's cache skips the copy and reuses the release's bytecode layer, which
a host then already has. A module no test imported still works: Python compiles it as it loads.
"""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

LOG_VARIABLE = "WWW_IMPORT_LOG"


class ImportLog:
    """A finder that finds nothing itself: it writes down the file of each module the others find."""

    def __init__(self, directory: str):
        self.directory = directory
        self.pid = self.fd = None

    def find_spec(self, name, path=None, target=None):
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    if spec.has_location and spec.origin:
                        self.write(spec.origin)
                    return spec
        return None

    def write(self, origin: str) -> None:
        if self.pid != os.getpid():  # a forked child (gunicorn's workers, Celery's pool) writes its own log
            self.pid = os.getpid()
            self.fd = os.open(os.path.join(self.directory, f"{self.pid}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.write(self.fd, f"{origin}\n".encode())


def imported(log_dir: Path) -> list[str]:
    """The venv's source files that the logs in `log_dir` name, sorted and once each."""
    venv = Path(sys.prefix)
    named = {line for log in log_dir.glob("*.log") for line in log.read_text().splitlines() if line.endswith(".py")}
    found = {Path(os.path.realpath(line)) for line in named}
    return sorted(str(path) for path in found if venv in path.parents)


def copy(sources: list[str], dest: Path) -> tuple[int, int]:
    """Copy the bytecode of `sources` under `dest`; (modules, bytes). Files without any are skipped:
    the test requirements' own modules, which the compiled stage does not have."""
    modules = size = 0
    for source in sources:
        compiled = Path(importlib.util.cache_from_source(source))
        if not compiled.is_file():
            continue
        target = dest / compiled.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(compiled, target)
        modules += 1
        size += compiled.stat().st_size
    return modules, size


USAGE = "usage: bytecode.py list LOG_DIR LIST | bytecode.py copy LIST DEST"


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in ("list", "copy"):
        print(USAGE, file=sys.stderr)
        return 2
    if argv[1] == "list":
        sources = imported(Path(argv[2]))
        if not sources:
            print(f"bytecode: no venv module in the import logs under {argv[2]}: is WWW_IMPORT_LOG set for the tests?", file=sys.stderr)
            return 1
        Path(argv[3]).write_text("".join(f"{source}\n" for source in sources))
        return 0
    modules, size = copy(Path(argv[2]).read_text().splitlines(), Path(argv[3]))
    print(f"bytecode: {modules} venv modules imported by the tests, {size / 1e6:.1f} MB kept")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
elif os.environ.get(LOG_VARIABLE):
    sys.meta_path.insert(0, ImportLog(os.environ[LOG_VARIABLE]))
