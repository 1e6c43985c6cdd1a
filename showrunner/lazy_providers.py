"""Import each provider class on first use instead of whole provider modules (the offline engine only).

`pulumi_aws.ec2` is one package whose `__init__.py` star-imports all of its ~185 resource and
function modules; a program that uses `aws.ec2.Vpc` and a dozen more ec2 classes still pays for all
of them (about 0.2 s of CPU for ec2 alone; 852 pulumi_aws modules are imported for the prod
preview without this, 336 with it). This finder gives each `pulumi_aws.<module>` package a
module-level `__getattr__` instead: a name is looked up in the star-imported modules' `__all__`
lists (read as text, not imported) and only the module that defines it is imported; pulumi_docker,
one flat package, goes the same way. A name that no `__all__` lists (an attribute the generated
`__init__.py` makes some other way) runs that package's real `__init__.py` in full, as an ordinary
import would have.

The same goes one level down, for each package's `_enums`, `_inputs` and `outputs` modules: every
resource module star-imports them, and they define every enum, argument and output class of the
package (1,236 in ec2 alone, among them a 1,405-member instance type enum; the prod preview
builds 136 of the 3,304 classes in the modules it imports).
`_LazyTypes` builds a class when it is first asked for, with the classes its code uses as globals
(bases, decorators, defaults): a star import gets the names that the importing module's code uses as
globals. The class bodies are the provider's own compiled code (from Python's bytecode cache of that
module), run as a `class` statement runs them. A module whose layout is not the generated one loads
in full.

Generated annotations name classes as strings (`pulumi.Input['VpcArgs']`), which only resolving
type hints evaluates, in the SDK's `pulumi._types` (the output and input types of a resource, when
it serializes and deserializes its properties). There the hook `_sdk_type_hints` passes a `localns`
that builds such a class when the evaluation asks for it (`_LazyNames`); a name the module has
already resolves as before. The SDK's tables of a class's property types are resolved a name at a
time (`PropertyTypes`), so that only the properties a preview sets (the offline engine leaves the
unset ones out before the SDK looks them up) or reads back are resolved. Building
at import every class the annotations name built 742 classes; resolving every getter of each class
the SDK serialized built 357; this builds 136. Another caller of
`typing.get_type_hints` on a provider class, with the module's `vars()` as its globals, finds
only the classes built so far.

Both indexes are kept on disk (`IndexCache`, under `$XDG_CACHE_HOME/showrunner/providers`), as
Python keeps bytecode: a package's names, and a types module's preamble, class shapes and each class
body marshalled on its own, so that a preview reads them back and unmarshals only the bodies it
builds. An entry is used only for the same file, modification time and size, Python and cache
format; anything else (or a cache that cannot be read or written) indexes from the source as above.

The classes are the provider's own: what they register and send is unchanged (a unit test compares
the whole prod preview with and without this module; `SHOWRUNNER_EAGER_PROVIDERS=1` turns it off).
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import mmap
import os
import re
import struct
import sys
import tempfile
import threading
import typing
from collections.abc import Mapping
from pathlib import Path
from types import CodeType, FunctionType, ModuleType

PACKAGES = {"pulumi_aws": 2, "pulumi_docker": 1}
"""Each provider, and the depth of its lazy packages: pulumi_aws's service packages
(`pulumi_aws.ec2`), pulumi_docker itself (one flat package)."""
_STAR = re.compile(r"^from \.(\w+) import \*$", re.M)
_SUBMODULE = re.compile(r"^from \. import (\w+)$", re.M)
_ALL = re.compile(r"^__all__ = \[(.*?)\]", re.M | re.S)
_NAME = re.compile(r"'(\w+)'")
TYPES_MODULES = ("_enums", "_inputs", "outputs")
"""The modules of enums, argument and output classes that `_LazyTypes` loads class by class."""
# A generated class statement after its `class `: `Name:` or `Name(bases):`.
_HEADER = re.compile(r"(\w+)(?:\(([^()\n]*)\))?:[ \t]*\n")
_WORD = re.compile(r"\w+")


CACHE_ENV = "SHOWRUNNER_CACHE_DIR"
"""Where the provider indexes are kept, instead of `$XDG_CACHE_HOME/showrunner/providers`."""


class IndexCache:
    """The lazy indexes on disk: one file per provider package and per types module.

    A file holds a marshalled header (what it was made from, and the entry) and, for a types
    module, the marshalled class bodies after it; `load` returns None for anything that does not
    match, and `store` writes through a temporary file, so that a reader never sees half a file.
    """

    FORMAT = 1
    """Bumped whenever what an entry holds, or how it is computed, changes."""

    def __init__(self, directory: Path | None = None):
        if directory is None:
            explicit = os.environ.get(CACHE_ENV)
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            directory = Path(explicit) if explicit else base / "showrunner" / "providers"
        self.directory = directory

    def _file(self, kind: str, source: Path) -> Path:
        digest = hashlib.sha256(str(source).encode()).hexdigest()[:16]
        return self.directory / f"{source.parent.name}.{source.stem}.{kind}.{digest}"

    @classmethod
    def stamp(cls, *sources: Path) -> tuple:
        """What an entry was made from: each file with its modification time and size, the Python and the format."""
        stats = [(str(path), stat.st_mtime_ns, stat.st_size) for path in sources for stat in (os.stat(path),)]
        return (cls.FORMAT, importlib.util.MAGIC_NUMBER, *stats)

    def load(self, kind: str, source: Path) -> tuple[object, mmap.mmap, int] | None:
        """(the entry, the file mapped, where its payload starts) when it matches the source; else None.

        Mapped, not read: a preview touches only the bodies of the classes it builds.
        """
        try:
            with self._file(kind, source).open("rb") as handle:
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            (size,) = struct.unpack_from("<Q", data)
            header_stamp, entry = marshal.loads(data[8:8 + size])
            if header_stamp != self.stamp(source):
                return None
            return entry, data, 8 + size
        except (OSError, ValueError, EOFError, TypeError, struct.error):
            return None

    def store(self, kind: str, source: Path, entry, payload: bytes = b"") -> None:
        """Keep `entry` (and `payload` after it); a cache that cannot be written is left alone."""
        try:
            header = marshal.dumps((self.stamp(source), entry))
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(struct.pack("<Q", len(header)) + header + payload)
            os.replace(name, self._file(kind, source))
        except (OSError, ValueError):
            return


class _Bodies:
    """Class name → body code, unmarshalled from the cached bytes on first use."""

    def __init__(self, data: mmap.mmap, offsets: dict[str, tuple[int, int]]):
        self.data = data
        self.offsets = offsets
        self.loaded: dict[str, CodeType] = {}

    def __contains__(self, name: object) -> bool:
        return name in self.offsets

    def __getitem__(self, name: str) -> CodeType:
        code = self.loaded.get(name)
        if code is None:
            start, end = self.offsets[name]
            code = self.loaded[name] = marshal.loads(memoryview(self.data)[start:end])
        return code


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
        found = self._names()
        if found is None:
            # A module without __all__: nothing to index it by, so this package loads in full.
            self.real.exec_module(module)
            return
        index, submodules = found
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

    def _names(self) -> tuple[dict[str, str], set[str]] | None:
        """(name → the module that defines it, the sub-packages), from the cache or the source."""
        cache = IndexCache()
        cached = cache.load("names", self.init_file)
        if cached is not None:
            (stars, stars_stamp, index, submodules), _, _ = cached
            # The star-imported modules' stamps too: one rewritten in place shows.
            if stars_stamp == self._stamp(cache, stars):
                return index, submodules
        source = self.init_file.read_text(encoding="utf-8")
        stars = _STAR.findall(source)
        submodules = set(_SUBMODULE.findall(source))
        index: dict[str, str] = {}
        for star in stars:
            names = _exported_names(self.init_file.parent / f"{star}.py")
            if names is None:
                return None
            for name in names:
                index[name] = star
        cache.store("names", self.init_file, (stars, self._stamp(cache, stars), index, submodules))
        return index, submodules

    def _stamp(self, cache: IndexCache, stars: list[str]) -> tuple:
        return cache.stamp(*(self.init_file.parent / f"{star}.py" for star in stars))


def _global_names(code: CodeType) -> set[str]:
    """Every name `code` and the code nested in it may look up as a global (and attribute names).

    What running a module's or a class's code can ask of a types module; names in string
    annotations are left to hint resolution (`_LazyNames`).
    """
    found: set[str] = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            found |= _global_names(constant)
    return found


_BUILDING = threading.RLock()

_STARRED: dict[str, list[ModuleType]] = {}
"""Module name → the lazy types modules it star-imported: where its string annotations' classes are."""


class _TypesModule(ModuleType):
    """A types module whose classes are built on first use; see `_LazyTypes`."""

    @property
    def __all__(self) -> list[str]:
        # Read by `from .<this> import *`: a sibling module's star import gets what its own code
        # uses as globals (the rest is built when its hints are resolved: `_LazyNames`); anything
        # else (the package's __init__, a user's star import) gets every class.
        index: _TypesIndex = self.__dict__["__showrunner_types__"]
        frame = sys._getframe(1)
        caller = frame.f_globals.get("__name__", "")
        if caller.startswith(index.package + ".") and caller != self.__name__:
            named = _global_names(frame.f_code)
            wanted = [name for name in index.names if name in named]
            starred = _STARRED.setdefault(caller, [])
            if self not in starred:
                starred.append(self)
        else:
            wanted = index.names
        for name in wanted:
            index.build(self, name)
        return wanted

    def __getattr__(self, name: str):
        index: _TypesIndex = self.__dict__["__showrunner_types__"]
        if name not in index.bodies:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        index.build(self, name)
        return self.__dict__[name]

    def __dir__(self):
        return sorted(set(self.__dict__) | set(self.__dict__["__showrunner_types__"].names))


class _TypesIndex:
    """Where each class of one types module is: its body's code, its decorator and bases."""

    def __init__(self, package: str, names: list[str], bodies: dict[str, CodeType],
                 shapes: dict[str, tuple[str | None, str | None]], stars: list[ModuleType]):
        self.package = package
        self.stars = stars
        """The lazy types modules the preamble star-imports (`from ._enums import *`)."""
        self.names = names
        self.bodies = bodies
        self.shapes = shapes

    def build(self, module: ModuleType, name: str) -> None:
        """Define `name` in `module` as its `class` statement would, and the classes its code uses.

        Under a lock: the SDK's worker threads may ask for a class too, and each must be built once.
        """
        with _BUILDING:
            self._build(module.__dict__, name)

    def _build(self, namespace: dict, name: str) -> None:
        if name in namespace:
            return
        decorator, bases = self.shapes[name]
        bases_code = compile(f"({bases},)", self.package, "eval") if bases else None
        decorator_code = compile(decorator, self.package, "eval") if decorator else None
        # Its class statement evaluates its bases and decorator: a class of this module there
        # (`class B(A)`) comes first.
        for code in (bases_code, decorator_code):
            for named in code.co_names if code else ():
                self._provide(namespace, named)
        body = FunctionType(self.bodies[name], namespace, name)
        cls = builtins.__build_class__(body, name, *(eval(bases_code, namespace) if bases_code else ()))  # noqa: S307 (the provider's own base list)
        if decorator_code:
            cls = eval(decorator_code, namespace)(cls)  # noqa: S307 (the provider's own decorator)
        namespace[name] = cls
        for named in _global_names(self.bodies[name]):
            self._provide(namespace, named)

    def _provide(self, namespace: dict, name: str) -> None:
        """Define `name` in `namespace` if it is a class of this module or an enum its preamble star-imports."""
        if name in namespace:
            return
        if name in self.bodies:
            self._build(namespace, name)
            return
        for star in self.stars:
            if name in star.__dict__["__showrunner_types__"].bodies:
                namespace[name] = getattr(star, name)
                return


def split_types_source(source: str) -> tuple[str, dict[str, tuple[str | None, str | None]]] | None:
    """(preamble, class name → (decorator, bases)) of a generated types module; None for another layout."""
    pieces = source.split("\nclass ")
    if len(pieces) < 2:
        return None
    shapes: dict[str, tuple[str | None, str | None]] = {}
    preamble = pieces[0]
    for before, piece in zip(pieces, pieces[1:]):
        header = _HEADER.match(piece)
        if header is None or header.group(1) in shapes:
            return None
        last_line = before[before.rfind("\n") + 1:]
        decorator = last_line[1:] if last_line.startswith("@") else None
        if before is pieces[0] and decorator:
            preamble = before[: -len(last_line)]
        shapes[header.group(1)] = (decorator, header.group(2))
    return preamble, shapes


def code_objects(code: CodeType) -> list[CodeType]:
    """The code objects a module's top level defines (class bodies, functions)."""
    return [c for c in code.co_consts if isinstance(c, CodeType)]


class _LazyNames(dict):
    """The `localns` for resolving a provider class's type hints: classes not built yet are built.

    It holds the globals and the SDK's own locals (which win, as `eval` looks at locals first), so
    every name the eager import would have found is found here as before. A name that neither
    has and that one of the lazy types modules the class's module star-imported defines (or, for
    a class of a types module, that module or the ones it star-imports) is built on the spot, as
    the eager import would have had it in the module already.
    """

    def __init__(self, globalns: dict, localns: dict | None, modules: list[ModuleType]):
        super().__init__(globalns)
        self.update(localns or {})
        self.modules = modules

    def __missing__(self, name: str):
        for module in self.modules:
            if name in module.__dict__["__showrunner_types__"].bodies:
                return getattr(module, name)
        raise KeyError(name)


def _lazy_modules(module_name: str | None) -> list[ModuleType]:
    module = sys.modules.get(module_name or "")
    if isinstance(module, _TypesModule):
        return [module, *module.__dict__["__showrunner_types__"].stars]
    return _STARRED.get(module_name or "", [])


class _HintScope:
    """The namespaces the SDK resolves one class's hints in, with `_LazyNames` as the locals, and
    the return hints resolved there.

    A class's getters mostly repeat a few annotations (`pulumi.Output[Optional[str]]`): with the
    same namespaces the same annotation resolves the same, so each is resolved once per scope.
    """

    def __init__(self, globalns: dict, localns: dict | None):
        self.globalns = globalns
        self.localns = localns
        modules = _lazy_modules(globalns.get("__name__"))
        self.names = _LazyNames(globalns, localns, modules) if modules else localns
        self._returns: dict = {}

    def hints(self, obj, include_extras: bool = False) -> dict:
        return typing.get_type_hints(obj, globalns=self.globalns, localns=self.names, include_extras=include_extras)

    def return_hint(self, getter: FunctionType):
        """`getter`'s resolved return annotation."""
        annotation = getter.__annotations__["return"]
        try:
            return self._returns[annotation]
        except KeyError:
            hint = self._returns[annotation] = self.hints(getter)["return"]
            return hint
        except TypeError:  # an unhashable annotation: resolved every time
            return self.hints(getter)["return"]


_last: _HintScope | None = None
"""The scope of the last (globalns, localns) the SDK passed: it resolves each getter of one class with the same pair."""


def _sdk_type_hints(obj, globalns=None, localns=None, include_extras=False):
    """`typing.get_type_hints` as `pulumi._types` calls it, in a `_HintScope`.

    The SDK passes the globals of the class's modules (`_globals_for_cls`), its own module last,
    so their `__name__` says which lazy types modules the class's string annotations name.
    """
    global _last
    if globalns is None:
        return typing.get_type_hints(obj, globalns=globalns, localns=localns, include_extras=include_extras)
    if _last is None or globalns is not _last.globalns or localns is not _last.localns:
        _last = _HintScope(globalns, localns)
    annotations = getattr(obj, "__annotations__", None) if isinstance(obj, FunctionType) else None
    if include_extras or not annotations or annotations.keys() != {"return"}:
        return _last.hints(obj, include_extras)
    return {"return": _last.return_hint(obj)}


_UNRESOLVED = object()


class PropertyTypes(Mapping):
    """Pulumi name → type of one class's properties (a resource, argument or output class), each
    resolved when the SDK first asks for it.

    The SDK's `_types_from_py_properties` resolves the return hint of every property getter of a
    class the first time it serializes or deserializes one value of it, and so builds every class
    those hints name (an `InstanceArgs` names some forty); yet all the SDK ever does with the table
    is `get` the one name it is serializing or deserializing. This resolves that name only, as the
    SDK resolves it: the getter's return hint in a `_HintScope` of the class's globals
    (`_globals_for_cls`) and the SDK's locals, then `unwrap_type`, a bare `Output` left out.
    Iterating (which nothing in the SDK does) resolves every name and gives the SDK's own table.
    """

    def __init__(self, cls: type):
        from pulumi import _types as sdk_types  # noqa: PLC0415

        self._cls = cls
        self._getters = {pulumi_name: prop.fget for _, pulumi_name, prop in sdk_types._py_properties(cls)}
        self._types: dict[str, object] = {}
        self._scope: _HintScope | None = None

    def _resolve(self, name: str) -> object:
        from pulumi import Output, _types as sdk_types  # noqa: PLC0415

        getter = self._getters[name]
        if "return" not in getattr(getter, "__annotations__", {}):
            return None  # no return hint: the SDK's table leaves the name out
        if self._scope is None:
            # The SDK's namespaces (`_raw_return_hints`): the class's globals, and its locals.
            self._scope = _HintScope(sdk_types._globals_for_cls(self._cls) or {}, {"Output": Output, "T": type(None)})
        typ = sdk_types.unwrap_type(self._scope.return_hint(getter))
        return None if typ is Output else typ

    def get(self, name, default=None):
        typ = self._types.get(name, _UNRESOLVED)
        if typ is _UNRESOLVED:
            if name not in self._getters:
                return default
            typ = self._types[name] = self._resolve(name)
        return default if typ is None else typ

    def __getitem__(self, name):
        typ = self.get(name)
        if typ is None:
            raise KeyError(name)
        return typ

    def __iter__(self):
        return iter([name for name in self._getters if self.get(name) is not None])

    def __len__(self) -> int:
        return len(list(iter(self)))


@functools.cache
def _property_types(cls: type) -> PropertyTypes:
    """`pulumi._types._types_from_py_properties`, resolved one name at a time: see `PropertyTypes`."""
    return PropertyTypes(cls)


def _resource_types(resource_cls: type) -> Mapping:
    """`pulumi._types.resource_types`: the class's annotated properties, then its getters (which win)."""
    from pulumi import _types as sdk_types  # noqa: PLC0415

    annotated = sdk_types._types_from_annotations(resource_cls)
    properties = _property_types(resource_cls)
    return {**annotated, **properties} if annotated else properties


def _hook_sdk() -> None:
    """The SDK resolves hints through `_sdk_type_hints`, and its type tables are `PropertyTypes`."""
    from pulumi import _types as sdk_types  # noqa: PLC0415 (the SDK, after the finder is in place)

    sdk_types.get_type_hints = _sdk_type_hints
    sdk_types._types_from_py_properties = _property_types
    sdk_types.resource_types = _resource_types


class _LazyTypes(importlib.abc.Loader):
    """Loads a provider's `_inputs` or `outputs` module as an index of its classes.

    The module's preamble (its imports) runs as written; each class is built from the body the
    provider's compiled module holds, when first asked for, together with the classes its code
    uses as globals; the classes its annotations name are built when its hints are resolved.
    """

    def __init__(self, real: importlib.machinery.SourceFileLoader):
        self.real = real

    def create_module(self, spec):
        return None

    def exec_module(self, module: ModuleType) -> None:
        index = self._index(module)
        if index is None:
            self.real.exec_module(module)
            return
        module.__dict__["__showrunner_types__"] = index
        module.__class__ = _TypesModule

    def _index(self, module: ModuleType) -> _TypesIndex | None:
        """The classes of the module after running its preamble; None when it is not laid out as generated.

        Generated code puts each class at the start of a line, its decorator (if any) on the line
        before and nothing else at the top level; the compiled module confirms it: its top-level
        code objects are exactly those classes' bodies, and it names nothing the preamble, the
        classes, their decorators and bases do not.
        """
        layout = self._layout(module)
        if layout is None:
            return None
        preamble_code, stars, shapes, bodies = layout
        exec(preamble_code, module.__dict__)  # noqa: S102 (the provider's imports)
        names = module.__dict__.pop("__all__", None)
        if names is None or sorted(names) != sorted(shapes):
            if names is not None:
                module.__dict__["__all__"] = names
            return None
        package = module.__name__.rpartition(".")[0]
        starred = [sys.modules.get(f"{package}.{star}") for star in stars]
        return _TypesIndex(package, list(names), bodies, shapes, [m for m in starred if isinstance(m, _TypesModule)])

    def _layout(self, module: ModuleType) -> tuple[CodeType, list[str], dict, _Bodies | dict[str, CodeType]] | None:
        """(the preamble's code, the siblings it star-imports, class name → (decorator, bases), the
        class bodies), from the cache or the source; None when the module is not laid out as generated."""
        path = Path(self.real.get_filename(module.__name__))
        cache = IndexCache()
        cached = cache.load("types", path)
        if cached is not None:
            (preamble_code, stars, shapes, offsets), data, start = cached
            return preamble_code, stars, shapes, _Bodies(data, {name: (start + a, start + b) for name, (a, b) in offsets.items()})
        split = split_types_source(path.read_text(encoding="utf-8"))
        if split is None:
            return None
        preamble, shapes = split
        code = self.real.get_code(module.__name__)
        bodies = {c.co_name: c for c in code_objects(code)}
        preamble_code = compile(preamble, module.__spec__.origin, "exec")
        allowed = set(preamble_code.co_names) | set(shapes)
        for decorator, bases in shapes.values():
            allowed.update(_WORD.findall(decorator or ""), _WORD.findall(bases or ""))
        if sorted(bodies) != sorted(shapes) or len(bodies) != len(code_objects(code)) or not set(code.co_names) <= allowed:
            return None  # something besides generated classes at the top level: no safe way to split it
        payload, offsets = bytearray(), {}
        for name, body in bodies.items():
            blob = marshal.dumps(body)
            offsets[name] = (len(payload), len(payload) + len(blob))
            payload += blob
        stars = _STAR.findall(preamble)
        cache.store("types", path, (preamble_code, stars, shapes, offsets), bytes(payload))
        return preamble_code, stars, shapes, bodies


class LazyProviderFinder(importlib.abc.MetaPathFinder):
    """Finds the `PACKAGES` and their types modules, for `_LazyPackage` and `_LazyTypes`."""

    def find_spec(self, fullname, path, target=None):
        parts = fullname.split(".")
        depth = PACKAGES.get(parts[0])
        if depth is None or len(parts) not in (depth, depth + 1):
            return None
        if len(parts) > 1 and parts[-1] in TYPES_MODULES:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                spec.loader = _LazyTypes(spec.loader)
            return spec
        if len(parts) != depth:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.submodule_search_locations or spec.origin is None:
            return spec
        spec.loader = _LazyPackage(spec.loader, Path(spec.origin))
        return spec


EAGER_ENV = "SHOWRUNNER_EAGER_PROVIDERS"
"""Set to 1 to import the providers as written, in full (to rule this module out, or to compare)."""


def install() -> None:
    """Put the finder first on `sys.meta_path`, the SDK's hint resolution through `_LazyNames` and
    its type tables one name at a time (`PropertyTypes`).

    Packages imported already stay as they are.
    """
    if os.environ.get(EAGER_ENV) == "1":
        return
    if not any(isinstance(finder, LazyProviderFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, LazyProviderFinder())
        _hook_sdk()
