"""The golden image's clock reporter: chrony's CSV tracking report → one figure, or nothing when unsynchronised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "images/golden/files/usr/local/sbin/showrunner-clock-offset"
# `chronyc -c tracking` on a synchronised host (fields: ref id, name, stratum, ref time, system time, …, leap status).
SYNCHRONISED = "A9FEA97B,169.254.169.123,4,1764640000.123,-0.000012345,0.000001,0.000020,-2.1,0.0,0.01,0.0004,0.0002,16.2,Normal\n"
UNSYNCHRONISED = "00000000,,0,0.0,0.000000000,0.0,0.0,0.0,0.0,0.0,1.0,1.0,0.0,Not synchronised\n"


def _run(tmp_path: Path, tracking: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "chronyc").write_text(f"#!/bin/sh\n[ \"$*\" = '-c tracking' ] || exit 2\nprintf '%s' '{tracking}'\n")
    (bin_dir / "chronyc").chmod(0o755)
    (tmp_path / "host.env").write_text("SHOWRUNNER_STACK=prod\nSHOWRUNNER_FLEET=www\nSHOWRUNNER_METRICS=journal\n")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "SHOWRUNNER_HOST_ENV": str(tmp_path / "host.env")}
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True)


def test_the_offset_is_the_absolute_system_time_of_chronys_tracking(tmp_path):
    result = _run(tmp_path, SYNCHRONISED)
    assert (result.returncode, result.stdout) == (0, "showrunner-clock-offset: 0.000012345 s from the reference (Normal)\n")


@pytest.mark.parametrize(("tracking", "message"), [
    (UNSYNCHRONISED, "showrunner-clock-offset: chrony is not synchronised; nothing published\n"),
    ("506 Cannot talk to daemon\n", "showrunner-clock-offset: cannot read chronyc tracking: 506 Cannot talk to daemon\n"),
])
def test_no_figure_without_a_synchronised_chrony(tmp_path, tracking, message):
    result = _run(tmp_path, tracking)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)
