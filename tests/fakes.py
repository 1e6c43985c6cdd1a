"""Stand-ins for the commands a workflow step calls that cannot run here (gh, pulumi, docker).

`FakeTools(tmp_path)` puts executables named like them first on PATH. Each answers from a JSON
scenario (`tools.answer(...)`) and logs every call (its argv, and the content of any file passed
as `--body-file F` or `-F body=@F`), so a test runs the real make target or tools script and then
reads what it asked GitHub or Pulumi to do.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

_FAKE = r'''#!{python}
import json, os, sys
from pathlib import Path

name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
state = json.loads(Path(os.environ["FAKE_TOOLS_STATE"]).read_text())
entry = {{"tool": name, "args": args}}
for i, arg in enumerate(args):
    if arg == "--body-file" and i + 1 < len(args):
        entry["body"] = Path(args[i + 1]).read_text()
    if arg.startswith("body=@"):
        entry["body"] = Path(arg[6:]).read_text()
with open(os.environ["FAKE_TOOLS_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\n")
# The answer: the longest key of this tool's answers that the command line starts with.
line = " ".join(args)
answers = state.get(name, {{}})
keys = sorted((k for k in answers if line.startswith(k)), key=len, reverse=True)
answer = answers[keys[0]] if keys else {{"stdout": ""}}
stdout = answer.get("stdout", "")
sys.stdout.write(stdout if isinstance(stdout, str) else json.dumps(stdout))
sys.stderr.write(answer.get("stderr", ""))
sys.exit(answer.get("exit", 0))
'''


class FakeTools:
    def __init__(self, directory: Path, names: tuple[str, ...] = ("gh", "pulumi", "docker")):
        self.bin = directory / "fake-bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.state_file = directory / "fake-state.json"
        self.log_file = directory / "fake-calls.jsonl"
        self.state: dict = {}
        self._write()
        for name in names:
            path = self.bin / name
            path.write_text(_FAKE.format(python=sys.executable))
            path.chmod(0o755)

    def _write(self) -> None:
        self.state_file.write_text(json.dumps(self.state))

    def answer(self, tool: str, command: str, stdout="", *, exit: int = 0, stderr: str = "") -> None:
        """`tool`'s answer to every command line starting with `command`."""
        self.state.setdefault(tool, {})[command] = {"stdout": stdout, "exit": exit, "stderr": stderr}
        self._write()

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "FAKE_TOOLS_STATE": str(self.state_file),
            "FAKE_TOOLS_LOG": str(self.log_file),
            **extra,
        }

    def calls(self, tool: str | None = None) -> list[dict]:
        if not self.log_file.exists():
            return []
        entries = [json.loads(line) for line in self.log_file.read_text().splitlines()]
        return [e for e in entries if tool is None or e["tool"] == tool]
