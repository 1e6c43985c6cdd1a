"""The rendered stacks, as the AWS tier reads them: every resource's inputs, the id and outputs the
offline engine gave it, its tags, what it depends on, and the provider functions the program called.

The stacks are rendered exactly as `showrunner preview --json` renders them (`run_stack` under the
offline mocks); nothing here imports a component.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from pulumi.runtime.mocks import MockResourceArgs

from showrunner import engine, mocks
from tests.aws import reference

PROJECT_DIR = reference.ROOT
STACKS = ("staging", "prod")
PARTITION = "aws"


class UnknownType(AssertionError):
    pass


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    inputs: dict
    id: str
    outputs: dict
    dependencies: list[str]
    parent: str
    protect: bool = False

    @property
    def label(self) -> str:
        return f"{self.type.split(':')[-1]} {self.name}"

    @property
    def tags(self) -> dict[str, str]:
        tags = self.inputs.get("tags")
        if isinstance(tags, list):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
            return {str(t.get("key")): str(t.get("value")) for t in tags if isinstance(t, dict)}
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}

    @property
    def spec(self) -> dict:
        return reference.type_table().get(self.type, {})


@dataclass
class Stack:
    name: str
    account: str
    region: str
    resources: list[Resource]
    calls: list[tuple[str, dict]] = field(default_factory=list)
    """Provider functions the program called during the preview: (token, args)."""
    outputs: dict = field(default_factory=dict)

    @functools.cached_property
    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    def find(self, type_token: str, name: str) -> Resource:
        [match] = [r for r in self.resources if r.type == type_token and r.name == name]
        return match

    def dependencies(self, resource: Resource, depth: int = 3) -> Iterator[tuple[int, Resource]]:
        """What `resource` depends on, nearest first (1 = an input of it), up to `depth` hops."""
        seen = {resource.urn}
        frontier = [resource]
        for level in range(1, depth + 1):
            following = []
            for current in frontier:
                for urn in current.dependencies:
                    if urn in seen or urn not in self.by_urn:
                        continue
                    seen.add(urn)
                    dependency = self.by_urn[urn]
                    following.append(dependency)
                    yield level, dependency
            frontier = following

    def dependents(self, resource: Resource) -> list[Resource]:
        return [r for r in self.resources if resource.urn in r.dependencies]

    def arn(self, resource: Resource) -> str | None:
        """The resource's ARN in AWS's format (the reference's), whatever the mocks wrote."""
        spec = resource.spec
        if not spec.get("iam"):
            return None
        values = arn_values(resource)
        fmt = reference.resource_type(spec["iam"])["arn"]
        mocked = resource.outputs.get("arn")
        if isinstance(mocked, str):
            match = reference.arn_regex(fmt, PARTITION, self.region, self.account).fullmatch(mocked)
            if match:
                values = {**{k: v for k, v in match.groupdict().items() if v}, **values}
        for variable in reference._VARIABLE.findall(fmt):
            if variable not in values and variable not in ("Partition", "Region", "Account"):
                values[variable] = "0" + mocks.digest(resource.urn, variable)[:15]
        return reference.fill_arn(fmt, values, PARTITION, self.region, self.account)


def arn_values(resource: Resource) -> dict[str, str]:
    """The ARN variables whose value the resource determines (`arn` in resource-types.json)."""
    values = {}
    for variable, source in resource.spec.get("arn", {}).items():
        value = _value(resource, source)
        if value is not None:
            values[variable] = value
    return values


def _value(resource: Resource, source: str) -> str | None:
    if source == "*":
        return None
    if source == "id":
        return resource.id
    head, _, rest = source.partition(":")
    name, *filters = rest.split("|")
    value = (resource.outputs if head == "output" else resource.inputs).get(name)
    if not isinstance(value, str):
        return None
    for f in filters:
        if f == "lower":
            value = value.lower()
        elif f == "host":
            value = urlparse(value).netloc + urlparse(value).path.rstrip("/")
        elif f.startswith("strip:"):
            value = value.removeprefix(f[len("strip:"):])
    return value


class _RecordingMocks(mocks.ShowrunnerMocks):
    def __init__(self, stack: str, region: str = mocks.REGION):
        super().__init__(stack, region)
        self.calls: list[tuple[str, dict]] = []

    def call(self, args):
        self.calls.append((args.token, dict(args.args)))
        return super().call(args)


@functools.cache
def render(stack: str) -> Stack:
    """The stack as the offline preview renders it, with the functions its program called."""
    made: list[_RecordingMocks] = []

    def factory(name: str, region: str = mocks.REGION) -> _RecordingMocks:
        made.append(_RecordingMocks(name, region))
        return made[-1]

    original = engine.ShowrunnerMocks
    engine.ShowrunnerMocks = factory
    try:
        run = engine.run_stack(PROJECT_DIR, stack)
    finally:
        engine.ShowrunnerMocks = original
    answering = mocks.ShowrunnerMocks(stack)
    resources = []
    for recorded in run.resources:
        if not recorded.custom:
            continue
        resource_id, outputs = answering.new_resource(MockResourceArgs(recorded.type, recorded.name, _unsecret(recorded.inputs)))
        resources.append(
            Resource(
                urn=recorded.urn,
                type=recorded.type,
                name=recorded.name,
                inputs=recorded.inputs,
                id=resource_id,
                outputs=outputs,
                dependencies=list(recorded.dependencies),
                parent=recorded.parent,
                protect=recorded.protect,
            )
        )
    # The engine registers resources in whatever order their inputs resolve: sorted, two runs agree.
    resources.sort(key=lambda r: r.urn)
    return Stack(stack, mocks.ACCOUNT_ID, mocks.REGION, resources, made[0].calls if made else [], run.outputs)


def _unsecret(value: Any) -> Any:
    if isinstance(value, mocks.Secret):
        return mocks.REDACTED
    if isinstance(value, dict):
        return {k: _unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecret(v) for v in value]
    return value


def unknown_types(stack: Stack) -> list[str]:
    """Resource types the mapping does not know, each with where to add it."""
    table = reference.type_table()
    missing = sorted({r.type for r in stack.resources if r.type not in table and not r.type.startswith("pulumi:providers:")})
    return [
        f"{t}: not in tests/aws/data/resource-types.json; add its CloudFormation type, its reference resource type "
        "and its ARN variables (see _about there)"
        for t in missing
    ]
