"""This repository's golden image: the folder of its Image Builder documents and their recipe order.

The GoldenAmi component takes both as inputs; the program (`showrunner.wiring`), the local build
(`images/golden/build-image`), `tools/run-component` and the tests read them from here.
"""

from __future__ import annotations

from pathlib import Path

GOLDEN_FOLDER = Path("images", "golden")
"""Under a project directory: `components/*.yml`, the `files/` and `scripts/` they install or run
(images/golden/README.md)."""
GOLDEN_DIR = Path(__file__).resolve().parents[1] / GOLDEN_FOLDER
"""This checkout's."""
GOLDEN_DOCUMENTS = ("docker-engine", "time-sync", "host-access", "host-scripts", "host-secrets", "housekeeping")
"""Recipe order: the engine first (the host scripts' timers call it), the host scripts last."""
