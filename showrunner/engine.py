"""Run the Pulumi program offline, under mocks, with a stack's real configuration.

This is what `pulumi preview` does minus the cloud: the config is fed in the shape the CLI feeds
it (`project:key` names, objects as JSON strings, project defaults merged, `secure:` values
replaced by a placeholder and their keys marked secret), `__main__.py` runs unchanged, and every
resource registration is recorded with its inputs, parent and options.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import runpy
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from showrunner import lazy_providers

lazy_providers.install()  # before pulumi_aws is first imported: see the module

import pulumi  # noqa: E402
from pulumi.output import _OutputData  # noqa: E402
from pulumi.runtime import resource as runtime_resource  # noqa: E402
from pulumi.runtime import rpc  # noqa: E402
from pulumi.runtime import settings as runtime_settings  # noqa: E402
from pulumi.runtime.proto import source_pb2  # noqa: E402
from pulumi.runtime.stack import run_in_stack  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

from showrunner.config import stackfile  # noqa: E402
from showrunner.config import ConfigError, Settings  # noqa: E402
from showrunner.config.loading import load_config  # noqa: E402
from showrunner.config.messages import NAMESPACE  # noqa: E402
from showrunner import mocks as offline  # noqa: E402
from showrunner.mocks import RecordedResource, RecordingMonitor, ShowrunnerMocks  # noqa: E402


class OfflineRunError(Exception):
    """The program could not be previewed; the message is for the user, one line per problem."""


@dataclass
class StackRun:
    project: str
    stack: str
    settings: Settings | None
    """This project's validated settings; None for another Pulumi project (an example program)."""
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_keys: list[str]
    output_secrets: dict[str, str] = field(default_factory=dict)
    """Stack output path → fingerprint of each secret output."""
    made_up: set[str] = field(default_factory=set)
    """Every string output the mock provider made up: what only the cloud would know."""
    diagnostics: list[dict] = field(default_factory=list)
    """What the program logged (warnings, errors), as `pulumi preview --json` lists it."""
    seconds: float = 0.0


_SEVERITY = {1: "debug", 2: "info", 3: "warning", 4: "error"}


class RecordingEngine:
    """The engine's log service: keeps the program's warnings and errors for the preview's diagnostics."""

    def __init__(self):
        self.diagnostics: list[dict] = []

    def Log(self, request):  # noqa: N802 (gRPC method name)
        severity = _SEVERITY.get(request.severity, "info")
        if severity in ("warning", "error") and not request.ephemeral:
            entry = {"message": request.message, "severity": severity}
            if request.urn:
                entry["urn"] = request.urn
            self.diagnostics.append(entry)


@contextlib.contextmanager
def _without_source_positions():
    """No source position with each registration, for one offline run.

    For every resource the SDK walks and formats the whole Python stack (reading each source file's
    lines) so that the Pulumi service can show where it was declared: 6% of the prod preview. No
    offline rendering shows a source position, and nothing else of a registration changes. Restored
    afterwards: the unit tests' own mock runs see the SDK as it ships.
    """
    original = runtime_resource._get_stack_trace
    runtime_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        runtime_resource._get_stack_trace = original


@contextlib.contextmanager
def _without_unused_urns():
    """No stand-in URN per registration, for one offline run.

    The SDK's `do_register` computes a URN from the name, type and parent before every
    registration (a chain of Outputs and tasks), for the response it fakes when there is no
    monitor. There is one here, which answers with its own URN, so the chain is work for
    nothing: 2.4% of the prod preview's instructions. Only that caller gets an empty Output;
    alias URNs (the other callers) are computed as before. Should the SDK rename its
    `do_register`, the URNs are simply computed again.
    """
    original = runtime_resource.create_urn

    def create_urn(name, type_, parent=None, project=None, stack=None):
        if sys._getframe(1).f_code.co_name == "do_register":
            return pulumi.Output.from_input("")
        return original(name, type_, parent, project, stack)

    runtime_resource.create_urn = create_urn
    try:
        yield
    finally:
        runtime_resource.create_urn = original


@contextlib.contextmanager
def _without_unset_inputs():
    """Unset inputs left out before the SDK serializes a registration, for one offline run.

    A generated resource hands the SDK every argument and output name it has, most of them None,
    and the SDK looks up each one's type (`types.get(name)`) before it drops the None: with the
    type tables resolved a name at a time (`lazy_providers.PropertyTypes`), that lookup is what
    resolves the hints of every argument a resource could take, and builds their classes. Without
    the Nones the same properties and dependencies are sent (a None serializes to nothing, and
    gets no dependency list), and only what is set is resolved: with the tables, 6.5% of the prod
    preview's instructions (4.92 G -> 4.60 G). Restored afterwards, like the patches above.
    """
    original = rpc.serialize_properties

    async def serialize_properties(inputs, *args, **kwargs):
        if type(inputs) is dict:
            inputs = {key: value for key, value in inputs.items() if value is not None}
        return await original(inputs, *args, **kwargs)

    rpc.serialize_properties = serialize_properties
    try:
        yield
    finally:
        rpc.serialize_properties = original


@contextlib.contextmanager
def _with_direct_outputs():
    """Each resource output resolved in one step, for one offline run.

    For every property of every resource the SDK's `transfer_properties` makes four futures
    (value, known, secret, dependencies) and an Output whose data is a task awaiting the four in
    turn, tracked in `SETTINGS.outputs` until a done-callback takes it out: some 3,500 Outputs in
    the prod preview, whose tasks and callbacks make up 7,000 of the event loop's 18,600 callbacks.
    Here each is an Output made as the SDK's `Output._from_data` makes one, on a plain future that
    the resolver sets itself, with the same `_OutputData` (dependencies: the given ones and the
    resource). The resolver also takes it out of `SETTINGS.outputs` on success, instead of a
    done-callback per Output; a failed Output stays there for the end of the program to report, as
    the SDK's does. 5.6% of the prod preview's instructions (4.48 G -> 4.23 G; with `_from_data`'s
    own tracking, 4.31 G). Restored afterwards, like the patches above.
    """
    original = rpc.transfer_properties
    output_type = pulumi.Output
    tracked = runtime_settings.SETTINGS

    def resolve(res, data, value, is_known, is_secret, deps, failed):
        if failed is not None:
            data.set_exception(failed)
            return
        resources = set(deps) if deps else set()
        resources.add(res)
        data.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))
        with tracked.lock:
            tracked.outputs.discard(data)

    def transfer_properties(res, props, custom):
        resolvers = {}
        loop = asyncio.get_event_loop()
        outputs = []
        for name in props:
            if name == "urn" or (name == "id" and custom):
                continue  # the SDK resolves these itself
            data = loop.create_future()
            resolvers[name] = functools.partial(resolve, res, data)
            output = output_type.__new__(output_type)
            output._data = data
            outputs.append(data)
            res.__dict__[name] = output
        with tracked.lock:
            tracked.outputs.update(outputs)
        return resolvers

    rpc.transfer_properties = transfer_properties
    try:
        yield
    finally:
        rpc.transfer_properties = original


def _mark_secure(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return offline.secret_marker(str(value["secure"]))
    if isinstance(value, dict):
        return {k: _mark_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_secure(v) for v in value]
    return value


def _marked_secrets(project, stack_values: dict[str, Any], config: dict[str, str], secret_keys: list[str]) -> dict[str, str]:
    """The config with each `secure:` leaf as `secret_marker()` of its ciphertext instead of `[secret]`.

    The program cannot tell them apart (it gets a string it cannot read either way); the preview
    can, so a changed ciphertext shows as a changed secret.
    """
    merged = {**project.defaults, **stack_values}
    marked = dict(config)
    for key in secret_keys:
        value = _mark_secure(merged[key])
        marked[key] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return marked


def load_stack(project_dir: Path, stack: str, config_file: Path | None = None):
    """Project, CLI-shaped config, secret keys and validated settings of one stack.

    Any Pulumi project runs offline; the showrunner project's own configuration is validated first,
    so that every problem is listed before anything is registered. Raises `StackConfigError` for an
    unreadable file and `ConfigError` for invalid config.
    """
    project = stackfile.load_project(project_dir)
    stack_file = stackfile.load_stack_file(config_file or project.stack_file(stack), project)
    config, secret_keys = stackfile.cli_config(project, stack_file.values)
    settings = None
    if project.name == NAMESPACE:
        settings = load_config(
            project,
            config,
            stack=stack,
            secret_keys=secret_keys,
            secure_leaves=stackfile.secure_paths(stack_file.values),
            problems=[*project.problems, *stack_file.problems],
            project_dir=project.directory,
        )
    elif project.problems or stack_file.problems:
        raise ConfigError([*project.problems, *stack_file.problems])
    return project, _marked_secrets(project, stack_file.values, config, secret_keys), secret_keys, settings


def run_stack(project_dir: Path | str, stack: str, config_file: Path | str | None = None) -> StackRun:
    """Validate the stack's config, then run `__main__.py` under mocks and record every resource."""
    started = time.perf_counter()
    project_dir = Path(project_dir).resolve()
    offline.FINGERPRINT_KEY = f"showrunner offline preview:{stackfile.load_project(project_dir).name}:{stack}".encode()
    project, config, secret_keys, settings = load_stack(project_dir, stack, Path(config_file) if config_file else None)

    mocks = ShowrunnerMocks(stack, region=stackfile.decode(config.get("aws:region", offline.REGION)))
    monitor = RecordingMonitor(mocks)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(mocks, project=project.name, stack=stack, preview=True, monitor=monitor)
    # set_mocks starts a root stack of its own; the program's is made by run_in_stack below.
    runtime_settings.ROOT.set(None)
    log = RecordingEngine()
    runtime_settings.SETTINGS.engine = log

    program = project_dir / "__main__.py"
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    working_dir = os.getcwd()
    try:
        # As the language host runs a program: in the project directory (relative paths such as
        # build contexts mean the same as under `pulumi preview`), inside a fresh Stack, which
        # registers the exports as its outputs when the program is done.
        os.chdir(project_dir)
        with _without_source_positions(), _without_unused_urns(), _without_unset_inputs(), _with_direct_outputs():
            _sync_await(run_in_stack(lambda: runpy.run_path(str(program), run_name="__main__")))
    except Exception as error:
        if mocks.unmocked_calls:
            tokens = ", ".join(sorted(set(mocks.unmocked_calls)))
            raise OfflineRunError(f"the program called {tokens}, which the offline engine does not mock; add it to showrunner/mocks.py") from error
        if isinstance(error, pulumi.RunError):
            raise OfflineRunError(str(error)) from error
        raise
    finally:
        os.chdir(working_dir)
    if mocks.unmocked_calls:
        tokens = ", ".join(sorted(set(mocks.unmocked_calls)))
        raise OfflineRunError(f"the program called {tokens}, which the offline engine does not mock; add it to showrunner/mocks.py")
    return StackRun(
        project=project.name,
        stack=stack,
        settings=settings,
        resources=list(monitor.recorded),
        outputs=monitor.stack_outputs,
        secret_keys=secret_keys,
        output_secrets=monitor.stack_secrets,
        made_up=set().union(*monitor.made_up.values()),
        diagnostics=log.diagnostics,
        seconds=time.perf_counter() - started,
    )
