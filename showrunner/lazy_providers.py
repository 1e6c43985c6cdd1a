"""Import each provider class on first use instead of whole provider modules (the offline engine only).

`pulumi_aws.ec2` is one package whose `__init__.py` star-imports all of its ~185 resource and
function modules; a program that uses `aws.ec2.Vpc` and a dozen more ec2 classes still pays for all
of them (about 0.2 s of CPU for ec2 alone; 852 pulumi_aws modules are imported for the prod
preview without this, 336 with it). This finder gives each `pulumi_aws.<module>` package a
module-level `__getattr__` instead: a name is looked up in the star-imported modules' `__all__`
lists (read as text, not imported) and only the module that defines it is imported. What stays is
each package's `_inputs` and `outputs` module, which every resource module star-imports.

The classes are the provider's own, imported from its own files: what they register and send is
unchanged. A name that no `__all__` lists (an attribute the generated `__init__.py` makes some
other way) runs that package's real `__init__.py` in full, as an ordinary import would have.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import re
import sys
from pathlib import Path
from types import ModuleType

PACKAGES = ("pulumi_aws",)
_STAR = re.compile(r"^from \.(\w+) import \*$", re.M)
_SUBMODULE = re.compile(r"^from \. import (\w+)$", re.M)
_ALL = re.compile(r"^__all__ = \[(.*?)\]", re.M | re.S)
_NAME = re.compile(r"'(\w+)'")


def _exported_names(path: Path) -> list[str] | None:
    with path.open(encoding="utf-8") as handle:
        text = handle.read(8192)
        found = _ALL.search(text)
        if found is None:
            text += handle.read()
            found = _ALL.search(text)
    return _NAME.findall(found.group(1)) if found else None


class _LazyPackage(importlib.abc.Loader):
    """Loads a provider sub-package as an index of names, importing their modules on demand."""

    def __init__(self, real: importlib.abc.Loader, init_file: Path):
        self.real = real
        self.init_file = init_file

    def create_module(self, spec):
        return None

    def exec_module(self, module: ModuleType) -> None:
        source = self.init_file.read_text(encoding="utf-8")
        stars = _STAR.findall(source)
        submodules = set(_SUBMODULE.findall(source))
        index: dict[str, str] = {}
        for star in stars:
            names = _exported_names(self.init_file.parent / f"{star}.py")
            if names is None:
                # A module without __all__: nothing to index it by, so this package loads in full.
                self.real.exec_module(module)
                return
            for name in names:
                index[name] = star
        package = module.__name__
        real = self.real
        state = {"full": False}

        def __getattr__(name: str):
            if name.startswith("__"):
                raise AttributeError(name)
            if name in index:
                value = getattr(importlib.import_module(f"{package}.{index[name]}"), name)
            elif name in submodules:
                value = importlib.import_module(f"{package}.{name}")
            elif not state["full"]:
                state["full"] = True
                del module.__dict__["__getattr__"]
                real.exec_module(module)
                return getattr(module, name)
            else:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            setattr(module, name, value)
            return value

        module.__getattr__ = __getattr__


class LazyProviderFinder(importlib.abc.MetaPathFinder):
    """Finds `pulumi_aws.<module>` packages and hands them to `_LazyPackage`."""

    def find_spec(self, fullname, path, target=None):
        parts = fullname.split(".")
        if len(parts) != 2 or parts[0] not in PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.submodule_search_locations or spec.origin is None:
            return spec
        spec.loader = _LazyPackage(spec.loader, Path(spec.origin))
        return spec


def install() -> None:
    """Put the finder first on `sys.meta_path`; packages imported already stay as they are."""
    if not any(isinstance(finder, LazyProviderFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, LazyProviderFinder())
