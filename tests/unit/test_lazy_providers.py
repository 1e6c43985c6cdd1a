"""The offline engine's lazy provider imports, checked against the providers imported as written.

`showrunner.lazy_providers` builds pulumi_aws's and pulumi_docker's classes on first use. The oracle is the provider
itself, imported in full in another process (`SHOWRUNNER_EAGER_PROVIDERS=1`): the whole preview
and every type hint the SDK can resolve must come out the same.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from showrunner import lazy_providers
from tests.conftest import PROJECT_DIR

PROVIDER_DIRS = [Path(importlib.util.find_spec(name).origin).parent for name in lazy_providers.PACKAGES]
SHOWRUNNER = PROJECT_DIR / ".venv" / "bin" / "showrunner"

# Run in a fresh process: the prod preview, then every type hint of every class of every
# pulumi_aws module it imported (resource modules, their overloads, argument and output classes),
# as text. A hint that cannot be resolved is recorded as the error it raised.
HINTS_SCRIPT = """
import inspect, io, json, sys, typing, contextlib
from showrunner import cli, lazy_providers
with contextlib.redirect_stdout(io.StringIO()):
    assert cli.main(["preview", "--stack", "prod"]) == 0

import pulumi
LOCALS = {"Output": pulumi.Output, "T": type(None)}  # as pulumi._types resolves them (a localns of its
# own also keeps typing from reusing a forward reference evaluated in another module)

def hints(thing, namespace):
    try:
        return repr(sorted(typing.get_type_hints(thing, globalns=namespace, localns=LOCALS).items()))
    except Exception as error:
        return f"{type(error).__name__}: {error}"

found = {}
for name, module in sorted(sys.modules.items()):
    provider, _, rest = name.partition(".")
    depth = {"pulumi_aws": 2, "pulumi_docker": 1}.get(provider)
    if depth is None or name.count(".") != depth:
        continue
    for attribute in sorted(dir(module)) if name.rpartition(".")[2] in lazy_providers.TYPES_MODULES else sorted(vars(module)):
        cls = getattr(module, attribute)
        if not inspect.isclass(cls) or cls.__module__ != name:
            continue
        namespace = dict(vars(module))  # as the SDK takes it, once the class is there (_globals_for_cls)
        found[f"{name}:{attribute}"] = hints(cls, namespace)
        for member, function in sorted(vars(cls).items()):
            function = function.fget if isinstance(function, property) else function
            if inspect.isfunction(function):
                variants = [function, *typing.get_overloads(function)]
                found[f"{name}:{attribute}.{member}"] = [hints(f, namespace) for f in variants]
json.dump(found, sys.stdout)
"""


def _run(script_or_args: list[str], eager: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, lazy_providers.EAGER_ENV: "1" if eager else "0"}
    return subprocess.run(script_or_args, capture_output=True, text=True, check=False, env=env, cwd=PROJECT_DIR)


def test_the_prod_preview_is_the_same_with_the_provider_imported_in_full(tmp_path):
    documents = {}
    for eager in (False, True):
        out = tmp_path / f"eager-{eager}.json"
        result = _run([str(SHOWRUNNER), "preview", "--stack", "prod", "--json", str(out)], eager)
        assert result.returncode == 0, result.stderr
        document = json.loads(out.read_text())
        document.pop("duration", None)
        documents[eager] = document
    assert documents[False] == documents[True]


def test_every_type_hint_resolves_as_it_does_with_the_provider_imported_in_full():
    lazy, eager = (_run([sys.executable, "-c", HINTS_SCRIPT], eager) for eager in (False, True))
    assert lazy.returncode == 0, lazy.stderr
    assert eager.returncode == 0, eager.stderr
    lazy_hints, eager_hints = json.loads(lazy.stdout), json.loads(eager.stdout)
    # The full import loads whole packages; compare the modules the lazy run imported.
    modules = {key.split(":")[0] for key in lazy_hints}
    eager_hints = {key: value for key, value in eager_hints.items() if key.split(":")[0] in modules}
    assert len(modules) > 50
    assert "pulumi_docker._inputs" in modules
    assert len(eager_hints) > 10000
    # Every class the full provider has in these modules exists lazily, with the same hints.
    assert {key: lazy_hints.get(key) for key in eager_hints} == eager_hints


def test_only_the_classes_the_program_names_are_built(stack_run):
    stack_run("prod")
    modules = [m for m in sys.modules.values() if isinstance(m, lazy_providers._TypesModule)]
    assert len(modules) >= 20, "the prod preview imports pulumi_aws's types modules lazily"
    index = {m.__name__: m.__dict__["__showrunner_types__"] for m in modules}
    total = sum(len(i.names) for i in index.values())
    built = sum(1 for m in modules for n in index[m.__name__].names if n in vars(m))
    assert built < total / 3, f"{built} of {total} classes were built"


@pytest.mark.parametrize("kind", lazy_providers.TYPES_MODULES)
def test_every_types_module_of_the_installed_provider_splits_into_its_classes(kind):
    """A provider upgrade that changes the generated layout shows here, not as a silent full import."""
    files = sorted(f for directory in PROVIDER_DIRS for f in directory.glob(f"**/{kind}.py"))
    assert len(files) > 10
    unsplit = [str(f) for f in files if lazy_providers.split_types_source(f.read_text()) is None]
    assert unsplit == []


def test_the_split_reads_each_class_decorator_and_bases_and_refuses_other_headers():
    source = "import pulumi\n__all__ = ['A']\n\n@pulumi.input_type\nclass A:\n    pass\n\nclass B(dict):\n    x: int\n"
    preamble, shapes = lazy_providers.split_types_source(source)
    assert preamble == "import pulumi\n__all__ = ['A']\n\n"
    assert shapes == {"A": ("pulumi.input_type", None), "B": (None, "dict")}
    assert lazy_providers.split_types_source(source.replace("class B(dict):", "class B(Base, metaclass=M)():")) is None
    assert lazy_providers.split_types_source("import pulumi\nX = 1\n") is None


GENERATED = """import typing
__all__ = ['A', 'B']

class A(dict):
    b: typing.Optional['B']

class B(dict):
    pass
"""


def _load(tmp_path, source: str):
    path = tmp_path / "_inputs.py"
    path.write_text(source)
    loader = lazy_providers._LazyTypes(importlib.machinery.SourceFileLoader("showrunner_test_types._inputs", str(path)))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("showrunner_test_types._inputs", loader, origin=str(path)))
    loader.exec_module(module)
    return module


def test_a_generated_module_builds_a_class_and_the_classes_it_names_on_first_use(tmp_path):
    module = _load(tmp_path, GENERATED)
    assert isinstance(module, lazy_providers._TypesModule)
    assert "A" not in vars(module) and "B" not in vars(module)
    assert {"A", "B"} <= set(dir(module)), "dir() lists the classes not built yet"
    assert module.A.__annotations__ == {"b": typing.Optional["B"]}
    assert "B" in vars(module), "A names B: built with it, so that A's hints resolve"
    assert typing.get_type_hints(module.A, globalns=vars(module)) == {"b": typing.Optional[module.B]}


def test_a_module_with_other_top_level_code_loads_in_full(tmp_path):
    """A statement between the classes (no generated module has one) would be lost class by class."""
    module = _load(tmp_path, GENERATED.replace("class B(dict):", "LIMIT = 3\n\nclass B(dict):"))
    assert not isinstance(module, lazy_providers._TypesModule)
    assert module.LIMIT == 3 and {"A", "B"} <= set(vars(module)) and module.__all__ == ["A", "B"]


def test_the_escape_hatch_leaves_the_import_system_alone():
    result = _run([sys.executable, "-c", "import sys; from showrunner import engine, lazy_providers; "
                   "print(any(isinstance(f, lazy_providers.LazyProviderFinder) for f in sys.meta_path))"], eager=True)
    assert result.stdout.strip() == "False", result.stderr
