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
# and the type table the SDK keeps of each class, as text. A hint that cannot be resolved is
# recorded as the error it raised.
HINTS_SCRIPT = """
import inspect, io, json, sys, typing, contextlib
from showrunner import cli, lazy_providers
with contextlib.redirect_stdout(io.StringIO()):
    assert cli.main(["preview", "--stack", "prod"]) == 0

import pulumi
from pulumi import _types as sdk_types
LOCALS = {"Output": pulumi.Output, "T": type(None)}  # as pulumi._types resolves them (a localns of its
# own also keeps typing from reusing a forward reference evaluated in another module)

def table(cls):
    # The SDK's type table of a class, through its own names (the lazy run's `PropertyTypes`, read whole).
    try:
        if issubclass(cls, pulumi.Resource):
            found = sdk_types.resource_types(cls)
        elif sdk_types.is_input_type(cls) or sdk_types.is_output_type(cls):
            found = sdk_types.input_type_types(cls) if sdk_types.is_input_type(cls) else sdk_types.output_type_types(cls)
        else:
            return None
        return repr(sorted(dict(found).items()))
    except Exception as error:
        return f"{type(error).__name__}: {error}"

def hints(thing, namespace):
    # Through the SDK's own `get_type_hints` name: the lazy run's hook, where the SDK calls it.
    try:
        return repr(sorted(sdk_types.get_type_hints(thing, globalns=namespace, localns=LOCALS).items()))
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
        namespace = sdk_types._globals_for_cls(cls)  # the globals the SDK passes
        found[f"{name}:{attribute}"] = hints(cls, namespace)
        found[f"{name}:{attribute}#types"] = table(cls)
        for member, function in sorted(vars(cls).items()):
            function = function.fget if isinstance(function, property) else function
            if inspect.isfunction(function):
                variants = [function, *typing.get_overloads(function)]
                found[f"{name}:{attribute}.{member}"] = [hints(f, namespace) for f in variants]
json.dump(found, sys.stdout)
"""


def _run(script_or_args: list[str], eager: bool, cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, lazy_providers.EAGER_ENV: "1" if eager else "0"}
    if cache is not None:
        env[lazy_providers.CACHE_ENV] = str(cache)
    return subprocess.run(script_or_args, capture_output=True, text=True, check=False, env=env, cwd=PROJECT_DIR)


# Each lazy run twice on an empty cache of its own: indexed from the source (and cached), then from the cache.
RUNS = {"lazy, cache empty": False, "lazy, from the cache": False, "imported in full": True}


def test_the_prod_preview_is_the_same_with_the_provider_imported_in_full(tmp_path):
    documents = {}
    for run, eager in RUNS.items():
        out = tmp_path / f"{len(documents)}.json"
        result = _run([str(SHOWRUNNER), "preview", "--stack", "prod", "--json", str(out)], eager, tmp_path / "cache")
        assert result.returncode == 0, result.stderr
        document = json.loads(out.read_text())
        document.pop("duration", None)
        documents[run] = document
    assert len(list((tmp_path / "cache").iterdir())) > 30, "the lazy runs keep their indexes"
    assert documents["lazy, cache empty"] == documents["imported in full"]
    assert documents["lazy, from the cache"] == documents["imported in full"]


@pytest.mark.parametrize("cached", [False, True], ids=["cache empty", "from the cache"])
def test_every_type_hint_resolves_as_it_does_with_the_provider_imported_in_full(tmp_path, cached):
    if cached:
        assert _run([sys.executable, "-c", HINTS_SCRIPT], False, tmp_path).returncode == 0
    lazy, eager = (_run([sys.executable, "-c", HINTS_SCRIPT], eager, tmp_path) for eager in (False, True))
    assert lazy.returncode == 0, lazy.stderr
    assert eager.returncode == 0, eager.stderr
    lazy_hints, eager_hints = json.loads(lazy.stdout), json.loads(eager.stdout)
    # The full import loads whole packages; compare the modules the lazy run imported.
    modules = {key.split(":")[0] for key in lazy_hints}
    eager_hints = {key: value for key, value in eager_hints.items() if key.split(":")[0] in modules}
    assert len(modules) > 50
    assert "pulumi_docker._inputs" in modules
    assert len(eager_hints) > 10000
    tables = [value for key, value in eager_hints.items() if key.endswith("#types") and value not in (None, "[]")]
    assert len(tables) > 1000 and not any(table.startswith(("NameError", "TypeError")) for table in tables)
    # Every class the full provider has in these modules exists lazily, with the same hints and the same type table.
    assert {key: lazy_hints.get(key) for key in eager_hints} == eager_hints


def test_only_the_classes_the_program_names_are_built(stack_run):
    stack_run("prod")
    modules = [m for m in sys.modules.values() if isinstance(m, lazy_providers._TypesModule)]
    assert len(modules) >= 20, "the prod preview imports pulumi_aws's types modules lazily"
    index = {m.__name__: m.__dict__["__showrunner_types__"] for m in modules}
    total = sum(len(i.names) for i in index.values())
    built = sum(1 for m in modules for n in index[m.__name__].names if n in vars(m))
    # Only what the SDK looks up: 136 of 3,304. Resolving every getter of each class the SDK
    # serialized built 357; building every class the annotations name, 742.
    assert built < total / 12, f"{built} of {total} classes were built"


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
__all__ = ['A', 'B', 'C']

class A(dict):
    b: typing.Optional['B']

class B(dict):
    pass

class C(A):
    pass
"""


# Generated-looking types: a class whose getters name other classes of the module (as strings),
# a bare `Output`, and a getter without a return hint.
TABLED = """
import pulumi
from typing import Optional
__all__ = ['Holder', 'Wanted', 'Unused']


@pulumi.output_type
class Holder(dict):
    @property
    @pulumi.getter
    def plain(self) -> Optional[str]:
        ...

    @property
    @pulumi.getter
    def wanted(self) -> Optional['Wanted']:
        ...

    @property
    @pulumi.getter
    def unused(self) -> 'Unused':
        ...

    @property
    @pulumi.getter
    def bare(self) -> pulumi.Output:
        ...

    @property
    @pulumi.getter
    def untyped(self):
        ...


@pulumi.output_type
class Wanted(dict):
    pass


@pulumi.output_type
class Unused(dict):
    pass
"""


def _load(tmp_path, source: str | None = None):
    """The module `source` (or the one written last) loaded as the finder loads a provider's types module."""
    path = tmp_path / "_inputs.py"
    if source is not None:
        path.write_text(source)
    loader = lazy_providers._LazyTypes(importlib.machinery.SourceFileLoader("showrunner_test_types._inputs", str(path)))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("showrunner_test_types._inputs", loader, origin=str(path)))
    loader.exec_module(module)
    return module


def test_a_generated_module_builds_a_class_and_the_classes_its_code_uses_on_first_use(tmp_path):
    module = _load(tmp_path, GENERATED)
    assert isinstance(module, lazy_providers._TypesModule)
    assert "A" not in vars(module) and "C" not in vars(module)
    assert {"A", "B", "C"} <= set(dir(module)), "dir() lists the classes not built yet"
    assert module.C.__bases__ == (module.A,)
    assert "A" in vars(module), "C's base is used by its class statement: built with it"
    assert module.A.__annotations__ == {"b": typing.Optional["B"]}
    assert "B" not in vars(module), "A names B only in a string annotation: left to hint resolution"


def test_a_class_named_in_an_annotation_is_built_when_the_sdk_resolves_the_hints(tmp_path, monkeypatch):
    module = _load(tmp_path, GENERATED)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    module.A  # noqa: B018 (built, as the SDK has it when it resolves its hints)
    namespace = dict(vars(module))  # the globals as the SDK copies them
    with pytest.raises(NameError):
        typing.get_type_hints(module.A, globalns=namespace)  # what a caller without the hook gets
    locals_ = {"T": type(None)}
    hints = lazy_providers._sdk_type_hints(module.A, globalns=namespace, localns=locals_)
    assert hints == {"b": typing.Optional[module.B]}
    assert "B" in vars(module)
    # The SDK's locals still come first, and a name neither the module nor its classes has fails as before.
    assert lazy_providers._sdk_type_hints(module.C, globalns=namespace, localns={"B": int}) == {"b": typing.Optional[int]}
    missing = type("D", (), {"__annotations__": {"x": "Nowhere"}})
    with pytest.raises(NameError):
        lazy_providers._sdk_type_hints(missing, globalns=dict(vars(module)), localns=locals_)


def test_an_annotation_repeated_by_a_class_getters_is_resolved_once_for_the_same_namespaces(monkeypatch):
    resolved = []
    real = typing.get_type_hints
    monkeypatch.setattr(typing, "get_type_hints", lambda obj, **kw: resolved.append(obj.__name__) or real(obj, **kw))

    def first() -> typing.Optional["int"]: ...
    def second() -> typing.Optional["int"]: ...
    def third(x: int) -> typing.Optional["int"]: ...

    globalns, localns = {"__name__": "not_a_provider", "typing": typing}, {"T": type(None)}
    for getter in (first, second):
        assert lazy_providers._sdk_type_hints(getter, globalns=globalns, localns=localns) == {"return": typing.Optional[int]}
    assert resolved == ["first"], "the second getter's annotation was resolved already"
    lazy_providers._sdk_type_hints(second, globalns=dict(globalns), localns=localns)
    assert resolved == ["first", "second"], "other namespaces (another class): resolved again"
    assert lazy_providers._sdk_type_hints(third, globalns=globalns, localns=localns) == {"x": int, "return": typing.Optional[int]}


def test_the_sdk_resolves_hints_through_the_hook():
    from pulumi import _types as sdk_types

    lazy_providers.install()
    assert sdk_types.get_type_hints is lazy_providers._sdk_type_hints
    assert sdk_types._types_from_py_properties is lazy_providers._property_types
    assert sdk_types.resource_types is lazy_providers._resource_types


def test_a_type_table_resolves_only_the_names_the_sdk_looks_up(tmp_path, monkeypatch):
    module = _load(tmp_path, TABLED)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    table = lazy_providers.PropertyTypes(module.Holder)
    assert table.get("plain") is str
    assert "Wanted" not in vars(module) and "Unused" not in vars(module), "nothing else resolved or built"
    assert table.get("wanted") is module.Wanted
    assert "Unused" not in vars(module)
    # As the SDK's table: a bare Output and a getter without a return hint are left out; unknown names get the default.
    assert table.get("untyped") is None and table.get("bare") is None and table.get("nothing", int) is int
    assert dict(table) == {"plain": str, "wanted": module.Wanted, "unused": module.Unused}


def test_a_module_with_other_top_level_code_loads_in_full(tmp_path):
    """A statement between the classes (no generated module has one) would be lost class by class."""
    module = _load(tmp_path, GENERATED.replace("class B(dict):", "LIMIT = 3\n\nclass B(dict):"))
    assert not isinstance(module, lazy_providers._TypesModule)
    assert module.LIMIT == 3 and {"A", "B", "C"} <= set(vars(module)) and module.__all__ == ["A", "B", "C"]


def _index(module):
    return module.__dict__["__showrunner_types__"]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv(lazy_providers.CACHE_ENV, str(directory))
    return directory


def test_a_types_module_is_indexed_from_the_cache_until_its_file_changes(tmp_path, cache_dir):
    first = _load(tmp_path, GENERATED)
    assert not isinstance(_index(first).bodies, lazy_providers._Bodies), "indexed from the source"
    assert len(list(cache_dir.iterdir())) == 1

    second = _load(tmp_path)
    assert isinstance(_index(second).bodies, lazy_providers._Bodies), "indexed from the cache"
    assert _index(second).shapes == _index(first).shapes and _index(second).names == ["A", "B", "C"]
    assert second.C.__bases__ == (second.A,) and second.A.__annotations__ == {"b": typing.Optional["B"]}

    # Rewritten in place, even with the same size: its modification time shows it.
    path = tmp_path / "_inputs.py"
    path.write_text(GENERATED.replace("class B(dict):\n    pass", "class B(dict):\n    x=22"))
    assert path.stat().st_size == len(GENERATED)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    third = _load(tmp_path)
    assert not isinstance(_index(third).bodies, lazy_providers._Bodies)
    assert third.B.x == 22
    assert _load(tmp_path).B.x == 22, "the new entry replaced the old one"


def test_a_damaged_or_unwritable_cache_only_costs_the_time_of_indexing_from_the_source(tmp_path, cache_dir, monkeypatch):
    _load(tmp_path, GENERATED)
    (entry,) = cache_dir.iterdir()
    entry.write_bytes(entry.read_bytes()[:40])
    module = _load(tmp_path)
    assert not isinstance(_index(module).bodies, lazy_providers._Bodies) and module.C.__bases__ == (module.A,)
    assert isinstance(_index(_load(tmp_path)).bodies, lazy_providers._Bodies), "rewritten whole"

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(lazy_providers.CACHE_ENV, str(blocked / "cache"))
    assert _load(tmp_path).C.__bases__[0].__name__ == "A"


def test_a_package_index_is_cached_and_follows_a_star_imported_module_rewritten_in_place(tmp_path, cache_dir, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .alpha import *\nfrom . import sub\n")
    alpha = package / "alpha.py"
    alpha.write_text("__all__ = ['One']\nOne = 1\n")
    loader = lazy_providers._LazyPackage(None, package / "__init__.py")
    assert loader._names() == ({"One": "alpha"}, {"sub"})

    def not_read(path):
        raise AssertionError(f"{path} was read, not taken from the cache")

    with monkeypatch.context() as patched:
        patched.setattr(lazy_providers, "_exported_names", not_read)
        assert loader._names() == ({"One": "alpha"}, {"sub"})
    alpha.write_text("__all__ = ['One', 'Two']\nOne, Two = 1, 2\n")
    os.utime(alpha, ns=(alpha.stat().st_atime_ns, alpha.stat().st_mtime_ns + 10**9))
    assert loader._names() == ({"One": "alpha", "Two": "alpha"}, {"sub"})


def test_the_escape_hatch_leaves_the_import_system_alone():
    result = _run([sys.executable, "-c", "import sys; from showrunner import engine, lazy_providers; "
                   "print(any(isinstance(f, lazy_providers.LazyProviderFinder) for f in sys.meta_path))"], eager=True)
    assert result.stdout.strip() == "False", result.stderr
