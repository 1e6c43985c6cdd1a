"""The IAM evaluator: `tools/iam-simulate/simulate.mjs` (@cloud-copilot/iam-simulate), fed in one batch.

AGPL-3.0: a test-only tool that is never shipped (README.md, "Tests").
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from tests.aws import reference
from tests.aws.requests import Request

SCRIPT = reference.ROOT / "tools" / "iam-simulate" / "simulate.mjs"


@dataclass(frozen=True)
class Decision:
    request: Request
    decision: str
    """Allowed, ExplicitlyDenied, ImplicitlyDenied, or Error (the message is in `error`)."""
    error: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"


def simulate(principals: dict, requests: Sequence[Request], account: str) -> list[Decision]:
    if not requests:
        return []
    node = shutil.which("node")
    if node is None:
        raise reference.MissingData("node is missing: install it (apt-get install nodejs npm)")
    reference._iam_data_dir()
    payload = json.dumps({"principals": principals, "requests": [r.to_json(account) for r in requests]})
    result = subprocess.run([node, str(SCRIPT)], input=payload, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} failed: {result.stderr.strip()[-2000:]}")
    answers = json.loads(result.stdout)
    return [Decision(r, a["decision"], a.get("error", "")) for r, a in zip(requests, answers)]
