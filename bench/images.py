"""Image pipeline figures: image sizes and how much of a www build a one-line change costs.

    <image>-size-mb: <MB>           every image a service runs; targets: micro <= 6 (2015: 10.08 MB),
                                    www <= 150 (2015: 1092 MB)
    www-warm-rebuild-ratio: <r>     warm / cold (target <= 0.10)

cold: www and the images it is built on (its parents in showrunner:images, base today), built with
--no-cache from the upstream stand-in, which is what a developer's first build costs; warm: www
rebuilt after a one-line change to the application, in the same run, with the layer cache. The
other configured images are built as `tools/build-images build` builds them. Sizes are Docker's,
in MB (10^6 bytes). Exits 1 when a figure misses its target.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from showrunner.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"micro-size-mb": 6.0, "www-size-mb": 150.0, "www-warm-rebuild-ratio": 0.10}
WARM = "www"
"""The image whose warm rebuild is measured: the one developers change all day."""


def _driver():
    return load_script(ROOT / "tools" / "build-images", "build_images")


def bench_tag(name: str) -> str:
    return f"showrunner/bench-{name}:cold"


def chain(images, name: str) -> list[str]:
    """`name`'s parents, the farthest first, then `name`."""
    names = [name]
    while images.images[names[0]].parent is not None:
        names.insert(0, images.images[names[0]].parent)
    return names


def _shown(name: str, value: float) -> str:
    if name.endswith("-ratio"):
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def size_mb(image: str) -> float:
    size = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", image], capture_output=True, text=True, check=True)
    return int(size.stdout) / 1e6


def main() -> int:
    driver = _driver()
    built: list[str] = []
    try:
        images = driver.configured()
        cold_chain = chain(images, WARM)
        upstreams = driver.upstream_args()
        driver.wheelhouses()
        for name in images.order:
            if name not in cold_chain:
                driver.build_image(name, upstreams)
        with tempfile.TemporaryDirectory() as scratch:
            context = Path(scratch) / WARM
            shutil.copytree(images.context(WARM), context)
            cold, parent = 0.0, None
            for name in cold_chain:
                built.append(bench_tag(name))
                cold += driver.build_image(
                    name, upstreams, tag=bench_tag(name), parent=parent, no_cache=True,
                    context=str(context) if name == WARM else None,
                )
                parent = bench_tag(name)
            views = context / "app" / "shows" / "views.py"
            views.write_text(views.read_text() + "# one-line change for bench/images.py\n")
            warm = driver.build_image(WARM, upstreams, context=str(context), tag=bench_tag(WARM), parent=bench_tag(cold_chain[-2]) if len(cold_chain) > 1 else None)
            figures = {
                f"{name}-size-mb": size_mb(bench_tag(name) if name == WARM else driver.local_tag(name)) for name in sorted(images.run)
            }
            figures[f"{WARM}-warm-rebuild-ratio"] = warm / cold
    except driver.BuildError as error:
        print(f"bench-images: {error}", file=sys.stderr)
        return 1
    finally:
        test_tags = [t.replace(":cold", "-test:cold") for t in built]
        subprocess.run(["docker", "rmi", "-f", *built, *test_tags], capture_output=True)
    for name, value in figures.items():
        print(f"{name}: {_shown(name, value)}")
    print(f"{WARM}-cold-build-s: {cold:.1f}")
    print(f"{WARM}-warm-rebuild-s: {warm:.1f}")
    missed = [name for name, limit in TARGETS.items() if name in figures and figures[name] > limit]
    if missed:
        print(f"bench-images: over target: {', '.join(f'{n} > {TARGETS[n]}' for n in missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
