"""Move Debian's Python standard library into /usr/lib/python311.zip, each module with its bytecode.

CPython searches pythonXY.zip before the standard library's directory (it is always on
sys.path). On disk the library takes 10.4 MB of sources and, byte-compiled by Debian, 11.6 MB
of bytecode; compressed together they take 6.2 MB (run with -X no_debug_ranges). Reading them
from the zip costs some CPU: 30-40 ms more to import the site's WSGI application (0.5 s). Tracebacks
keep their source lines: the importer reads them from the zip. Extension modules (lib-dynload)
and data files stay where dpkg put them. The sources dpkg put there are gone, so run this only
in an image build, right after apt installed and upgraded python3 (images/base/Dockerfile): a
later upgrade would put the new library beside the zip, which Python reads first.
"""

import py_compile
import shutil
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path


def main() -> int:
    stdlib = Path(sysconfig.get_path("stdlib"))
    archives = [Path(p) for p in sys.path if p.endswith(".zip")]
    if len(archives) != 1 or archives[0].parent != stdlib.parent:
        print(f"zip-stdlib: expected one pythonXY.zip beside {stdlib} on sys.path, found {archives}", file=sys.stderr)
        return 1
    archive = archives[0]
    # Directories on sys.path of their own (lib-dynload) or for installed packages are not the library.
    skipped = {stdlib / "site-packages", stdlib / "dist-packages"} | {Path(p) for p in sys.path if p and stdlib in Path(p).parents}

    def library(path: Path) -> bool:
        return not any(parent in skipped for parent in (path, *path.parents))

    sources = sorted(path for path in stdlib.rglob("*.py") if library(path) and "__pycache__" not in path.parts)
    failed = []
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(archive.with_suffix(".tmp"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        bytecode = Path(scratch) / "module.pyc"
        for source in sources:
            name = source.relative_to(stdlib).as_posix()
            zipped.write(source, name)
            try:
                # Unchecked: the bytecode is valid as long as the zip is, whatever the entries' times.
                py_compile.compile(
                    str(source), cfile=str(bytecode), dfile=f"{archive}/{name}", doraise=True,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            except py_compile.PyCompileError:
                failed.append(name)
                continue
            zipped.write(bytecode, name + "c")
    archive.with_suffix(".tmp").rename(archive)
    for source in sources:
        source.unlink()
    for cache in sorted(stdlib.rglob("__pycache__"), reverse=True):
        if library(cache):
            shutil.rmtree(cache)
    for directory in sorted((d for d in stdlib.rglob("*") if d.is_dir() and library(d)), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()
    print(f"zip-stdlib: {len(sources)} modules in {archive} ({archive.stat().st_size / 1e6:.1f} MB)"
          + (f"; {len(failed)} kept as source only (do not compile): {', '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
