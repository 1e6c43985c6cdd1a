"""tools/lint-shell: which scripts and steps it checks, and that a finding fails it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from showrunner.scripts import load_script
from tests.conftest import PROJECT_DIR

TOOL = PROJECT_DIR / "tools" / "lint-shell"
lint_shell = load_script(TOOL, "lint_shell")


@pytest.fixture(scope="module")
def shellcheck():
    """Debian's shellcheck, installed when root (as `make lint-shell` does)."""
    subprocess.run([str(PROJECT_DIR / "tools" / "ensure-packages"), "--no-install-recommends", "lint-shell",
                    "shellcheck=shellcheck"], check=True)


def test_it_checks_every_shell_script_and_every_step():
    listed = subprocess.run([sys.executable, str(TOOL), "--list"], capture_output=True, text=True, check=True).stdout.splitlines()
    for script in (".ci/run", "tools/ensure-packages", "tools/local-db", "images/golden/build-image",
                   "images/golden/files/usr/local/sbin/showrunner-disk-guard", "images/www/app/bin/start-django",
                   "images/golden/scripts/install-ssm-agent"):
        assert script in listed
    assert "tools/build-images" not in listed and "tools/lint-shell" not in listed  # Python
    assert "images/golden/components/host-access.yml test/NoSshServer" in listed
    assert "images/golden/components/host-scripts.yml build/InstallHostScripts" in listed


def test_steps_are_checked_rendered_and_with_their_parameters():
    steps = dict(lint_shell.step_scripts())
    install = steps["images/golden/components/host-scripts.yml build/InstallHostScripts"]
    assert "cat > /usr/local/sbin/showrunner-disk-guard <<'SHOWRUNNER_FILE_END'" in install
    assert not any("showrunner:install" in s or "showrunner:run" in s or "{{" in s for s in steps.values())
    assert "registry='lint-shell-parameter'" in steps["images/golden/components/host-access.yml build/ConfigureEcrCredentialHelper"]


def test_a_bang_that_set_e_ignores_is_a_finding(shellcheck, tmp_path):
    script = tmp_path / "step.sh"
    script.write_text("set -euo pipefail\n! grep -q secret out.txt\necho checked\n")
    [finding] = lint_shell.shellcheck([script], shell="bash")
    assert finding.startswith(f"{script}:2:1: note: This ! is not on a condition and skips errexit.") and finding.endswith("[SC2251]")

