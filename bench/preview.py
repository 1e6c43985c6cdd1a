"""Offline preview timings, as an operator waits for them (the console script, end to end).

Prints:
  preview-prod-s: <median seconds of `showrunner preview --stack prod`>                  target <= 1.0
  preview-import-floor-s: <median seconds of `python -c "import pulumi, pulumi_aws, pulumi_docker"`>
  (the floor and prod run in turns, as do the 5- and 50-service previews: see `paired_medians`)
  preview-prod-floor-ratio: <preview-prod-s / preview-import-floor-s>                   target <= 2.5
  preview-scaling-ratio-50-5: <median with 50 services / median with 5 services>         target <= 2
  preview-prod-peak-mib: <the prod preview's peak resident memory>

The import floor is what any Pulumi Python program with these providers pays before its first line:
the ratio is how much of the preview is the program's own work, whatever the machine's speed.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHOWRUNNER = PROJECT_DIR / ".venv" / "bin" / "showrunner"
PYTHON = PROJECT_DIR / ".venv" / "bin" / "python"
RUNS = 9


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def paired_medians(first: list[str], second: list[str]) -> tuple[float, float]:
    """Median seconds of each command, run in turns (first, second, first, ...) after one warm-up each.

    In turns, a machine that slows down or speeds up during the bench moves both medians alike,
    so their ratio holds still where two separate series would drift apart.
    """
    timed(first)
    timed(second)  # warm the file cache (and the offline engine's provider index) once
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(RUNS):
        times[0].append(timed(first))
        times[1].append(timed(second))
    return statistics.median(times[0]), statistics.median(times[1])


def preview(*args: str) -> list[str]:
    return [str(SHOWRUNNER), "preview", *args]


def generated_stack(total_services: int) -> dict:
    """The staging stack plus routed micro services, each with a secret, up to `total_services`."""
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())
    config = stack["config"]
    defaults = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]["services"]["value"]
    extra = total_services - len(defaults)
    assert extra >= 1, f"need more than the {len(defaults)} default services"
    config["showrunner:fleets"]["micro"] = {"min_size": 1, "max_size": 4}
    for i in range(extra):
        name = f"svc-{i:02d}"
        config["showrunner:services"][name] = {
            "type": "web",
            "image": "micro",
            "command": "/micro",
            "fleet": "micro",
            "ports": [f"{9000 + i}:8080"],
            "route": {"paths": [f"/api/{name}/*"], "priority": 100 + i},
            "secrets": ["API_TOKEN"],
        }
        config["showrunner:secrets"][name] = {"API_TOKEN": {"secure": f"v1:YmVuY2g=:{name}"}}
    return stack


def main() -> int:
    floor, prod = paired_medians([str(PYTHON), "-c", "import pulumi, pulumi_aws, pulumi_docker"], preview("--stack", "prod"))
    # The largest child so far; the floor's interpreter is far smaller than the preview.
    prod_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for count in (5, 50):
            paths[count] = Path(tmp) / f"Pulumi.bench{count}.yaml"
            paths[count].write_text(yaml.safe_dump(generated_stack(count)))
        five, fifty = paired_medians(*(preview("--stack", f"bench{count}", "--config-file", str(paths[count])) for count in (5, 50)))
        timings = {5: five, 50: fifty}
    print(f"preview-prod-s: {prod:.2f}")
    print(f"preview-import-floor-s: {floor:.2f}")
    print(f"preview-prod-floor-ratio: {prod / floor:.2f}")
    print(f"preview-scaling-ratio-50-5: {timings[50] / timings[5]:.2f}")
    print(f"preview-prod-peak-mib: {prod_peak_mib:.0f}")
    print(f"  (5 services: {timings[5]:.2f} s, 50 services: {timings[50]:.2f} s; medians of {RUNS} runs each, "
          "taken in turns with the figure each is divided by)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
