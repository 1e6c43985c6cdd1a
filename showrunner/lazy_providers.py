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
builds 742 of the 3,304 classes in the modules it imports).
`_LazyTypes` builds a class when it is first asked for, with the classes it names: a star import
gets the names that the importing module's code refers to. The class bodies are the provider's own
compiled code (from Python's bytecode cache of that module), run as a `class` statement runs them.
A module whose layout is not the generated one loads in full.

The classes are the provider's own: what they register and send is unchanged (a unit test compares
the whole prod preview with and without this module; `SHOWRUNNER_EAGER_PROVIDERS=1` turns it off).
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import threading
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


def _referenced(code: CodeType) -> set[str]:
    """Every global name and every string constant in `code` and the code nested in it.

    Generated annotations name classes as strings (`pulumi.Input['VpcArgs']`); code names them as
    globals. Together they are all a module or a class body can ask of a types module.
    """
    found: set[str] = set(code.co_names)
    _constants(code.co_consts, found)
    return found


def _constants(constants, found: set[str]) -> None:
    # Constant folding turns `Union['A', 'B']` into one tuple constant ('A', 'B').
    for constant in constants:
        if isinstance(constant, str):
            found.add(constant)
        elif isinstance(constant, CodeType):
            found |= _referenced(constant)
        elif isinstance(constant, (tuple, frozenset)):
            _constants(constant, found)


_BUILDING = threading.RLock()


class _TypesModule(ModuleType):
    """A types module whose classes are built on first use; see `_LazyTypes`."""

    @property
    def __all__(self) -> list[str]:
        # Read by `from .<this> import *`: a sibling module's star import gets what its own code
        # names; anything else (the package's __init__, a user's star import) gets every class.
        index: _TypesIndex = self.__dict__["__showrunner_types__"]
        frame = sys._getframe(1)
        caller = frame.f_globals.get("__name__", "")
        if caller.startswith(index.package + ".") and caller != self.__name__:
            named = _referenced(frame.f_code)
            wanted = [name for name in index.names if name in named]
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
        """Define `name` in `module` as its `class` statement would, and every class it names.

        Under a lock: the SDK's worker threads may ask for a class too, and each must be built once.
        """
        with _BUILDING:
            self._build(module.__dict__, name)

    def _build(self, namespace: dict, name: str) -> None:
        todo = [name]
        while todo:
            current = todo.pop()
            if current in namespace:
                continue
            decorator, bases = self.shapes[current]
            body = FunctionType(self.bodies[current], namespace, current)
            cls = builtins.__build_class__(body, current, *(eval(f"({bases},)", namespace) if bases else ()))  # noqa: S307 (the provider's own base list)
            if decorator:
                cls = eval(decorator, namespace)(cls)  # noqa: S307 (the provider's own decorator name)
            namespace[current] = cls
            for named in _referenced(self.bodies[current]) - namespace.keys():
                if named in self.bodies:
                    todo.append(named)
                else:
                    # A name its preamble star-imports from a sibling types module (an enum).
                    for star in self.stars:
                        if named in star.__dict__["__showrunner_types__"].bodies:
                            namespace[named] = getattr(star, named)
                            break


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


class _LazyTypes(importlib.abc.Loader):
    """Loads a provider's `_inputs` or `outputs` module as an index of its classes.

    The module's preamble (its imports) runs as written; each class is built from the body the
    provider's compiled module holds, when first asked for, together with the classes its
    annotations name, so that resolving its type hints finds them all.
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
        split = split_types_source(Path(self.real.get_filename(module.__name__)).read_text(encoding="utf-8"))
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
        exec(preamble_code, module.__dict__)  # noqa: S102 (the provider's imports)
        names = module.__dict__.pop("__all__", None)
        if names is None or sorted(names) != sorted(shapes):
            if names is not None:
                module.__dict__["__all__"] = names
            return None
        package = module.__name__.rpartition(".")[0]
        stars = [sys.modules.get(f"{package}.{star}") for star in _STAR.findall(preamble)]
        return _TypesIndex(package, list(names), bodies, shapes, [m for m in stars if isinstance(m, _TypesModule)])


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
    """Put the finder first on `sys.meta_path`; packages imported already stay as they are."""
    if os.environ.get(EAGER_ENV) == "1":
        return
    if not any(isinstance(finder, LazyProviderFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, LazyProviderFinder())
