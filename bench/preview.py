"""Offline preview timings, as an operator waits for them (the console script, end to end).

Prints:
  preview-prod-s: <median seconds of `showrunner preview --stack prod`>                  target <= 1.0
  preview-import-floor-s: <median seconds of `python -c "import pulumi, pulumi_aws, pulumi_docker"`>
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
RUNS = 5


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_seconds(*args: str, command: list[str] | None = None) -> float:
    command = command or [str(SHOWRUNNER), "preview", *args]
    timed(command)  # warm the file cache once
    return statistics.median(timed(command) for _ in range(RUNS))


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
    floor = median_seconds(command=[str(PYTHON), "-c", "import pulumi, pulumi_aws, pulumi_docker"])
    prod = median_seconds("--stack", "prod")
    # The largest child so far; the floor's interpreter is far smaller than the preview.
    prod_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        timings = {}
        for count in (5, 50):
            path = Path(tmp) / f"Pulumi.bench{count}.yaml"
            path.write_text(yaml.safe_dump(generated_stack(count)))
            timings[count] = median_seconds("--stack", f"bench{count}", "--config-file", str(path))
    print(f"preview-prod-s: {prod:.2f}")
    print(f"preview-import-floor-s: {floor:.2f}")
    print(f"preview-prod-floor-ratio: {prod / floor:.2f}")
    print(f"preview-scaling-ratio-50-5: {timings[50] / timings[5]:.2f}")
    print(f"preview-prod-peak-mib: {prod_peak_mib:.0f}")
    print(f"  (5 services: {timings[5]:.2f} s, 50 services: {timings[50]:.2f} s, median of {RUNS} runs each)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
