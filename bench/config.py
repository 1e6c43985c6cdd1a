"""Stack-file validation timings, as an operator waits for them.

Prints:
  config-validate-prod-ms: <median ms to read and validate Pulumi.prod.yaml, in a warm process>
  config-validate-prod-cold-s: <seconds for a fresh process to import the validation and validate prod>
  config-refuse-5mb-s: <seconds for `showrunner preview` to refuse a 5 MB stack file, end to end>    target <= 1
  config-refuse-5mb-peak-mb: <peak resident memory of that process, MB>                            target < 100
  config-refuse-hostile-s: <the slowest refusal of a hostile file just under the size limit, in a
      warm process (the imports are config-validate-prod-cold-s's)>                              target <= 1
  config-refuse-hostile-peak-mb: <its peak traced memory, MB>                                       target < 100
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from showrunner.config import ConfigError, yamlfile  # noqa: E402
from showrunner.config.stackfile import StackConfigError  # noqa: E402

SHOWRUNNER = PROJECT_DIR / ".venv" / "bin" / "showrunner"
PYTHON = PROJECT_DIR / ".venv" / "bin" / "python"
RUNS = 20
PROD = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()


def _filled(head: str, piece, tail: str = "\n") -> str:
    """`head`, then `piece(0)`, `piece(1)`… while the file stays under the size limit, then `tail`."""
    room = yamlfile.MAX_BYTES - len(PROD) - len(head) - len(tail) - 16
    parts, size, index = [], 0, 0
    while size + len(piece(index)) <= room:
        parts.append(piece(index))
        size += len(parts[-1])
        index += 1
    return PROD + head + "".join(parts) + tail


def hostile_files() -> dict[str, str]:
    """Files just under the size limit, each built to be slow or big to read."""
    bomb = ["  a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    bomb += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    depth = (yamlfile.MAX_BYTES - len(PROD) - 64) // 2
    return {
        "deep nesting": PROD + "  showrunner:tags: " + "[" * depth + "]" * depth + "\n",
        "an alias bomb": PROD + "  showrunner:tags:\n" + "\n".join("  " + line for line in bomb) + "\n",
        "many keys": _filled("  showrunner:tags:\n", lambda i: f"    k{i}: v\n"),
        "repeated keys": _filled("  showrunner:tags:\n", lambda i: "    k: v\n"),
        "one long line": _filled("  showrunner:tags: {", lambda i: f"k{i}: 2026-11-23, ", "z: 1}\n"),
        "many dates": _filled("  showrunner:tags:\n", lambda i: f"    - 2026-11-{i % 28 + 1:02d}\n"),
    }


def validate_prod_ms() -> float:
    from showrunner import engine
    from showrunner.config import stackfile

    engine.load_stack(PROJECT_DIR, "prod")  # warm: imports
    times = []
    for _ in range(RUNS):
        stackfile._read_once.cache_clear()  # read the file each time, as a fresh run does
        started = time.perf_counter()
        engine.load_stack(PROJECT_DIR, "prod")
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def validate_prod_cold_s() -> float:
    code = "from pathlib import Path; from showrunner import engine; engine.load_stack(Path('.'), 'prod')"
    started = time.perf_counter()
    subprocess.run([str(PYTHON), "-c", code], cwd=PROJECT_DIR, check=True)
    return time.perf_counter() - started


def refuse_5mb(tmp: Path) -> tuple[float, float]:
    path = tmp / "Pulumi.prod.yaml"
    path.write_text(PROD + "#" + "x" * (5 * 1024 * 1024) + "\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run([str(SHOWRUNNER), "preview", "--stack", "prod", "--config-file", str(path)], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    return elapsed, max(peak, before) / 1024


def _refuse(path: Path, name: str) -> None:
    from showrunner import engine
    from showrunner.config import stackfile

    stackfile._read_once.cache_clear()
    try:
        engine.load_stack(PROJECT_DIR, "prod", path)
    except (ConfigError, StackConfigError):
        return
    raise AssertionError(f"{name}: accepted")


def refuse_hostile(tmp: Path) -> tuple[str, float, float]:
    """The slowest refusal (wall time, then its peak memory traced in a second run) of the hostile files."""
    worst = ("", 0.0, 0.0)
    for name, text in hostile_files().items():
        path = tmp / "Pulumi.prod.yaml"
        path.write_text(text)
        assert path.stat().st_size <= yamlfile.MAX_BYTES, name
        started = time.perf_counter()
        _refuse(path, name)
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        _refuse(path, name)
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        print(f"  ({name}: {elapsed:.3f} s, {peak:.1f} MB)", file=sys.stderr)
        if elapsed > worst[1]:
            worst = (name, elapsed, peak)
    return worst


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        big_s, big_mb = refuse_5mb(Path(tmp))  # first: the peak is over every child process so far
        cold = validate_prod_cold_s()
        warm = validate_prod_ms()
        name, hostile_s, hostile_mb = refuse_hostile(Path(tmp))
    print(f"config-validate-prod-ms: {warm:.1f}")
    print(f"config-validate-prod-cold-s: {cold:.2f}")
    print(f"config-refuse-5mb-s: {big_s:.2f}")
    print(f"config-refuse-5mb-peak-mb: {big_mb:.0f}")
    print(f"config-refuse-hostile-s: {hostile_s:.3f}  ({name})")
    print(f"config-refuse-hostile-peak-mb: {hostile_mb:.1f}")
    return 0 if big_s <= 1 and big_mb < 100 and hostile_s <= 1 and hostile_mb < 100 else 1


if __name__ == "__main__":
    sys.exit(main())
