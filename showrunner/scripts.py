"""Import a Python script that has no `.py` suffix (`tools/build-images`, the golden image's host
scripts) as a module, so benchmarks and tests call its functions instead of re-implementing them."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType


def load_script(path: Path, name: str) -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module
