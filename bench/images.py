"""Image pipeline figures: image sizes and how much of a www build a one-line change costs.

    micro-size-mb: <MB>             the scratch image (target <= 6; 2015: 10.08 MB)
    www-size-mb: <MB>               the release image (target <= 200; 2015: 1092 MB)
    www-warm-rebuild-ratio: <r>     warm / cold (target <= 0.15)

cold: base and www (test stage, then release) built with --no-cache from the upstream stand-in,
which is what a developer's first build costs; warm: www rebuilt after a one-line change to the
application, in the same run, with the layer cache. Sizes are Docker's, in MB (10^6 bytes).
Exits 1 when a figure misses its target.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from showrunner.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"micro-size-mb": 6.0, "www-size-mb": 200.0, "www-warm-rebuild-ratio": 0.15}
BENCH_BASE = "showrunner/bench-base:cold"
BENCH_WWW = "showrunner/bench-www:cold"


def _driver():
    return load_script(ROOT / "tools" / "build-images", "build_images")


def size_mb(image: str) -> float:
    size = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", image], capture_output=True, text=True, check=True)
    return int(size.stdout) / 1e6


def main() -> int:
    driver = _driver()
    try:
        upstreams = driver.upstream_args()
        driver.wheelhouses()
        driver.build_micro(upstreams)
        with tempfile.TemporaryDirectory() as scratch:
            context = Path(scratch) / "www"
            shutil.copytree(ROOT / "images" / "www", context)
            cold = driver.build_base(upstreams, no_cache=True, tag=BENCH_BASE)
            cold += driver.build_www(context=str(context), tag=BENCH_WWW, no_cache=True, base=BENCH_BASE)
            views = context / "app" / "shows" / "views.py"
            views.write_text(views.read_text() + "# one-line change for bench/images.py\n")
            warm = driver.build_www(context=str(context), tag=BENCH_WWW, base=BENCH_BASE)
            figures = {
                "micro-size-mb": size_mb("showrunner/micro:local"),
                "www-size-mb": size_mb(BENCH_WWW),
                "www-warm-rebuild-ratio": warm / cold,
            }
    except driver.BuildError as error:
        print(f"bench-images: {error}", file=sys.stderr)
        return 1
    finally:
        subprocess.run(
            ["docker", "rmi", "-f", BENCH_WWW, BENCH_WWW.replace("bench-www:", "bench-www-test:"), BENCH_BASE],
            capture_output=True,
        )
    print(f"micro-size-mb: {figures['micro-size-mb']:.2f}")
    print(f"www-size-mb: {figures['www-size-mb']:.1f}")
    print(f"www-warm-rebuild-ratio: {figures['www-warm-rebuild-ratio']:.3f}")
    print(f"www-cold-build-s: {cold:.1f}")
    print(f"www-warm-rebuild-s: {warm:.1f}")
    missed = [name for name, limit in TARGETS.items() if figures[name] > limit]
    if missed:
        print(f"bench-images: over target: {', '.join(f'{n} > {TARGETS[n]}' for n in missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
