"""The golden image's component documents: rendering, validation and content-derived versions.

The documents (`<documents_dir>/components/*.yml`, `ExecuteBash` steps in `build`, `validate` and
`test` phases) are the source: their `showrunner:install` and `showrunner:run` lines are expanded
here into heredocs that carry the files under `<documents_dir>/files/` and `scripts/`, so the
rendered text is self-contained. That text is what Image Builder receives (the `Component`'s
`data`) and what `tools/run-component` executes locally, so both run exactly the same steps.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

from showrunner_components.aws import dump_yaml, load_yaml

PHASES = ("build", "validate", "test")
KNOWN_ACTIONS = frozenset(
    {
        "AppendFile", "Assert", "CopyFile", "CopyFolder", "CreateFile", "CreateFolder", "CreateSymlink",
        "DeleteFile", "DeleteFolder", "ExecuteBash", "ExecuteBinary", "ExecuteDocument", "ExecutePowerShell",
        "InstallMSI", "ListFiles", "MoveFile", "MoveFolder", "ReadFile", "Reboot", "S3Download", "S3Upload",
        "SetFileEncoding", "SetFileOwner", "SetFolderOwner", "SetRegistry", "UninstallMSI", "UpdateOS", "WebDownload",
    }
)
"""The action modules of AWS Task Orchestrator and Executor (the runner behind Image Builder)."""

MAX_DATA_CHARS = 16000
"""CreateComponent refuses inline `data` longer than this."""

_STEP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,127}$")
_VARIABLE = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
_DIRECTIVE = re.compile(r"^showrunner:(install|run)\s+(\S+)(?:\s+(\S+))?$")
_MODE = re.compile(r"^0[0-7]{3}$")
_TERMINATOR = "SHOWRUNNER_FILE_END"
_STEP_KEYS = {"name", "action", "inputs", "timeoutSeconds", "onFailure", "maxAttempts", "if", "loop"}
_TOP_KEYS = {"name", "description", "schemaVersion", "parameters", "constants", "phases"}


class DocumentError(Exception):
    """A component document is not valid; one line per problem, each naming the file and place."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Document:
    key: str
    """The file name without `.yml`: `docker-engine`."""
    text: str
    """The rendered, self-contained document: what Image Builder and our runner execute."""
    content: dict
    version: str

    @property
    def name(self) -> str:
        return self.content["name"]

    @property
    def description(self) -> str:
        return self.content.get("description", "")

    @property
    def parameters(self) -> list[str]:
        return [next(iter(p)) for p in self.content.get("parameters") or []]


# --- rendering ---------------------------------------------------------------------------------


def _embedded_file(documents_dir: Path, relative: str, where: str) -> str:
    path = (documents_dir / relative).resolve()
    if documents_dir.resolve() not in path.parents or not path.is_file():
        raise DocumentError([f"{where}: {relative} is not a file under {documents_dir}"])
    text = path.read_text(encoding="utf-8")
    problems = []
    if not text.endswith("\n"):
        problems.append(f"{where}: {relative} must end with a newline")
    if _TERMINATOR in text.splitlines():
        problems.append(f"{where}: {relative} contains the heredoc terminator {_TERMINATOR}")
    if "{{" in text:
        problems.append(f"{where}: {relative} contains '{{{{', which Image Builder would read as a variable")
    if problems:
        raise DocumentError(problems)
    return text


def expand_directive(command: str, documents_dir: Path, where: str) -> str:
    """`showrunner:install REL MODE` → write `/REL` from files/REL; `showrunner:run REL` → run it with bash."""
    match = _DIRECTIVE.match(command.strip())
    if not match:
        return command
    verb, relative, mode = match.groups()
    if verb == "install":
        if mode is None or not _MODE.match(mode):
            raise DocumentError([f'{where}: "{command}" needs an octal mode like 0644: showrunner:install REL MODE'])
        text = _embedded_file(documents_dir / "files", relative, where)
        target = "/" + relative
        return (
            f"install -d -m 0755 {str(Path(target).parent)}\n"
            f"cat > {target} <<'{_TERMINATOR}'\n{text}{_TERMINATOR}\n"
            f"chmod {mode} {target}"
        )
    if mode is not None:
        raise DocumentError([f'{where}: "{command}" takes one path: showrunner:run REL'])
    text = _embedded_file(documents_dir, relative, where)
    return f"bash -euo pipefail <<'{_TERMINATOR}'\n{text}{_TERMINATOR}"


def render_document(source: str, documents_dir: Path, where: str = "document") -> str:
    """The document with every directive expanded, as YAML text (deterministic for one input)."""
    content = parse_document(source, where)
    for p_index, phase in enumerate(content.get("phases") or []):
        for s_index, step in enumerate(phase.get("steps") or [] if isinstance(phase, dict) else []):
            commands = (step.get("inputs") or {}).get("commands") if isinstance(step, dict) else None
            if isinstance(commands, list):
                step_where = f"{where}: phases[{p_index}].steps[{s_index}]"
                step["inputs"]["commands"] = [
                    expand_directive(c, documents_dir, step_where) if isinstance(c, str) else c for c in commands
                ]
    return dump_yaml(content, width=1000, allow_unicode=True)


def parse_document(source: str, where: str) -> dict:
    try:
        content = load_yaml(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark else ""
        raise DocumentError([f"{where}: not valid YAML{at}: {getattr(error, 'problem', error)}"]) from None
    if not isinstance(content, dict):
        raise DocumentError([f"{where}: a component document is a YAML map, got {type(content).__name__}"])
    return content


# --- validation --------------------------------------------------------------------------------


def document_problems(content: dict, where: str) -> list[str]:
    """Everything that keeps Image Builder (or our runner) from accepting the document."""
    problems = [f"{where}: {key}: is not a known key" for key in content if key not in _TOP_KEYS]
    if not isinstance(content.get("name"), str) or not content["name"]:
        problems.append(f"{where}: name: is required")
    if str(content.get("schemaVersion")) != "1.0":
        problems.append(f"{where}: schemaVersion: must be 1.0, got {content.get('schemaVersion')!r}")

    declared = set()
    for index, parameter in enumerate(content.get("parameters") or []):
        if not (isinstance(parameter, dict) and len(parameter) == 1):
            problems.append(f"{where}: parameters[{index}]: must be a map of one name to its settings")
            continue
        (param_name, spec), = parameter.items()
        declared.add(param_name)
        if not isinstance(spec, dict) or spec.get("type") != "string":
            problems.append(f"{where}: parameters[{index}].{param_name}: needs type: string (the only parameter type)")

    phases = content.get("phases")
    if not isinstance(phases, list) or not phases:
        return problems + [f"{where}: phases: needs at least one phase"]
    phase_names: set[str] = set()
    step_names: set[str] = set()
    for p_index, phase in enumerate(phases):
        at = f"{where}: phases[{p_index}]"
        if not isinstance(phase, dict):
            problems.append(f"{at}: must be a map with name and steps")
            continue
        phase_name = phase.get("name")
        if phase_name not in PHASES:
            problems.append(f"{at}.name: {phase_name!r} is not one of {', '.join(PHASES)}")
        elif phase_name in phase_names:
            problems.append(f"{at}.name: phase {phase_name} appears twice")
        phase_names.add(phase_name)
        steps = phase.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(f"{at}.steps: needs at least one step")
            continue
        for s_index, step in enumerate(steps):
            problems.extend(_step_problems(step, f"{at}.steps[{s_index}]", step_names, declared))
    return problems


def _step_problems(step: Any, at: str, seen: set[str], declared: set[str]) -> list[str]:
    if not isinstance(step, dict):
        return [f"{at}: must be a map with name, action and inputs"]
    problems = [f"{at}.{key}: is not a known step key" for key in step if key not in _STEP_KEYS]
    step_name = step.get("name")
    if not isinstance(step_name, str) or not _STEP_NAME.match(step_name):
        problems.append(f"{at}.name: {step_name!r} is not a step name (letters and digits, starting with a letter)")
    elif step_name in seen:
        problems.append(f"{at}.name: step name {step_name} is not unique in the document")
    else:
        seen.add(step_name)
    action = step.get("action")
    if action not in KNOWN_ACTIONS:
        problems.append(f"{at}.action: {action!r} is not an Image Builder action module")
    if step.get("onFailure", "Abort") not in ("Abort", "Continue", "Ignore"):
        problems.append(f"{at}.onFailure: {step['onFailure']!r} is not Abort, Continue or Ignore")
    if action == "ExecuteBash":
        commands = (step.get("inputs") or {}).get("commands")
        if not isinstance(commands, list) or not commands or not all(isinstance(c, str) for c in commands):
            problems.append(f"{at}.inputs.commands: ExecuteBash needs a list of command strings")
        else:
            for variable in sorted({v for c in commands for v in _VARIABLE.findall(c)}):
                if variable not in declared:
                    problems.append(f"{at}.inputs.commands: {{{{ {variable} }}}} is not a declared parameter")
    return problems


def component_version(text: str) -> str:
    """`1.0.N` from the rendered text: any edit gives a new version (components are immutable).

    N is 28 bits of the text's SHA-256, below Image Builder's 2^30 limit per version field. Versions
    identify content; they are not ordered by time.
    """
    return f"1.0.{int(hashlib.sha256(text.encode()).hexdigest()[:7], 16)}"


def load_document(key: str, documents_dir: Path) -> Document:
    """`components/<key>.yml` of `documents_dir`, validated and rendered; problems name the file
    by its path below the documents folder's grandparent (`images/golden/components/<key>.yml`)."""
    documents_dir = Path(documents_dir).resolve()
    path = documents_dir / "components" / f"{key}.yml"
    where = str(path.relative_to(documents_dir.parents[1])) if len(documents_dir.parents) > 1 else str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DocumentError([f"{where}: cannot be read: {error.strerror}"]) from None
    problems = document_problems(parse_document(source, where), where)
    if problems:
        raise DocumentError(problems)
    text = render_document(source, documents_dir, where)
    if len(text) > MAX_DATA_CHARS:
        raise DocumentError([f"{where}: rendered to {len(text)} characters, over Image Builder's {MAX_DATA_CHARS}; split the document"])
    return Document(key=key, text=text, content=load_yaml(text), version=component_version(text))


def document_keys(documents_dir: Path) -> list[str]:
    """Every `components/*.yml` of the folder, by name: the default recipe."""
    return sorted(p.stem for p in (Path(documents_dir) / "components").glob("*.yml"))


def load_documents(documents_dir: Path, keys: Sequence[str] | None = None) -> list[Document]:
    """The documents `keys` (default: `document_keys`), in that order: the recipe's components.
    Raises `DocumentError` with every problem of every document."""
    documents, problems = [], []
    for key in document_keys(documents_dir) if keys is None else keys:
        try:
            documents.append(load_document(key, documents_dir))
        except DocumentError as error:
            problems.extend(error.problems)
    if problems:
        raise DocumentError(problems)
    return documents
