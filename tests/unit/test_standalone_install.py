"""`pip install ./components` on its own: one import name, every component importable without this program.

The package is installed offline into a fresh folder and imported in a process whose working
directory is elsewhere, whose path holds neither the repository nor the editable installs of the
project venv (`-S`: no `.pth` files run), and which refuses any import of `showrunner`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig

from tests.conftest import PROJECT_DIR

COMPONENTS_DIR = PROJECT_DIR / "components"
EXPECTED = {
    "delivery": ["Delivery", "DeliveryArgs"],
    "permissions_boundary": ["PermissionsBoundary", "PermissionsBoundaryArgs"],
    "fleet": ["Fleet", "FleetAlarms", "FleetArgs", "FleetPeerSecurityGroup", "FleetScheduledAction", "FleetService", "FleetSpot", "FleetWarmPool"],
    "golden_ami": ["GoldenAmi", "GoldenAmiArgs"],
    "image_pipeline": ["ImagePipeline", "ImagePipelineArgs", "PipelineImage"],
    "load_balancer": ["LoadBalancer", "LoadBalancerAlarms", "LoadBalancerArgs", "LoadBalancerRoute"],
    "network": ["Network", "NetworkArgs"],
    "observability": ["Alerts", "AlertsArgs", "AlertsSubscription", "Dashboard", "DashboardArgs", "DashboardStores"],
    "secrets": ["ServiceSecrets", "ServiceSecretsArgs"],
    "state": ["State", "StateAlarms", "StateArgs", "StateCache", "StateEndpoints", "StateMysql", "StateQueues", "StateTable"],
}
"""Each component package's public face: its ComponentResources, their Args and nested types."""
COMPONENTS = {"Alerts", "Dashboard", "Delivery", "Fleet", "GoldenAmi", "ImagePipeline", "LoadBalancer", "Network", "PermissionsBoundary", "ServiceSecrets", "State"}

PROBE = r"""
import importlib, importlib.abc, importlib.util, json, pkgutil, sys, typing

target, site_packages = sys.argv[1:3]


class RefuseTheProgram(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "showrunner" or name.startswith("showrunner."):
            raise ImportError(f"the components imported {name}, a module of the program")
        return None


sys.meta_path.insert(0, RefuseTheProgram())
sys.path[:] = [target, *[p for p in sys.path if p and not p.endswith(".zip")], site_packages]

import pulumi
import showrunner_components

exports = {}
for module in pkgutil.iter_modules(showrunner_components.__path__):
    if module.ispkg:
        package = importlib.import_module(f"showrunner_components.{module.name}")
        exports[module.name] = {}
        for name in package.__all__:
            value = getattr(package, name)
            is_component = isinstance(value, type) and issubclass(value, pulumi.ComponentResource)
            exports[module.name][name] = "component" if is_component else "typeddict" if typing.is_typeddict(value) else repr(value)

from showrunner_components import provider

print(json.dumps({
    "file": showrunner_components.__file__,
    "path": sys.path,
    "exports": exports,
    "components_package": importlib.util.find_spec("components") is not None,
    "program_modules": sorted(m for m in sys.modules if m == "showrunner" or m.startswith("showrunner.")),
    "schema_resources": sorted(provider.schema()["resources"]),
}))
"""


def test_the_components_install_on_their_own_and_import_without_the_program(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(COMPONENTS_DIR, source, ignore=shutil.ignore_patterns("venv", "build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index", "--no-deps",
         "--no-build-isolation", "--target", str(target), str(source)],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stderr
    assert sorted(p.name for p in target.iterdir()) == ["showrunner_components", "showrunner_components-0.1.0.dist-info"]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, str(target), sysconfig.get_paths()["purelib"]],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)

    assert found["file"] == str(target / "showrunner_components" / "__init__.py")
    outside_the_venv = [p for p in found["path"] if p.startswith(str(PROJECT_DIR)) and not p.startswith(str(PROJECT_DIR / ".venv"))]
    assert outside_the_venv == [], "the repository is on the probe's path"
    assert found["components_package"] is False, "a top-level `components` package is importable"
    assert found["program_modules"] == []
    assert {package: sorted(names) for package, names in found["exports"].items()} == EXPECTED
    for package, names in found["exports"].items():
        kinds = {kind for name, kind in names.items()}
        assert kinds == {"component", "typeddict"}, f"{package} exports {names}"
    components = {name for names in found["exports"].values() for name, kind in names.items() if kind == "component"}
    assert components == COMPONENTS
    assert found["schema_resources"] == sorted(f"showrunner:index:{name}" for name in COMPONENTS)
