"""The IAM evaluator: `tools/iam-simulate/simulate.mjs` (@cloud-copilot/iam-simulate), fed in one batch.

AGPL-3.0: a test-only tool that is never shipped (README.md, "Tests").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from dataclasses import dataclass

from tests.aws import reference
from tests.aws.requests import Request

SCRIPT = reference.ROOT / "tools" / "iam-simulate" / "simulate.mjs"
WORKERS = max(1, min(4, os.cpu_count() or 1))


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
    unique = list(dict.fromkeys(requests))
    # One evaluator per core: the requests are independent.
    size = -(-len(unique) // WORKERS)
    chunks = [unique[i:i + size] for i in range(0, len(unique), size)]
    processes = []
    for chunk in chunks:
        process = subprocess.Popen([node, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append((process, chunk))
    payloads = [json.dumps({"principals": principals, "requests": [r.to_json(account) for r in chunk]}) for chunk in chunks]
    with ThreadPoolExecutor(len(processes)) as pool:
        outputs = list(pool.map(lambda pair: pair[0][0].communicate(pair[1]), zip(processes, payloads)))
    answers: dict[Request, dict] = {}
    for (process, chunk), (stdout, stderr) in zip(processes, outputs):
        if process.returncode != 0:
            raise RuntimeError(f"{SCRIPT.name} failed: {stderr.strip()[-2000:]}")
        answers.update(zip(chunk, json.loads(stdout)))
    return [Decision(r, answers[r]["decision"], answers[r].get("error", "")) for r in requests]
