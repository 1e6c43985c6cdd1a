"""What a rule sees and reports (Resource, Rule, Violation), the value helpers every rule shares, and `evaluate`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MANDATORY = "mandatory"
ADVISORY = "advisory"

SECRET = "[secret]"
"""How a secret value arrives from the offline preview; equal to the program's marker (a unit test checks it)."""
UNKNOWN_VALUES = frozenset(
    {
        "[unknown]",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
PRODUCTION_TAG = "Production"
"""The tag (value `true`) the program puts on every resource of a stack that declares
`showrunner:production: true`: production by declaration, not by the stack's name. Equal to the
program's `showrunner_components.tagging.PRODUCTION_TAG` (a unit test checks it)."""


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    dependencies: tuple[str, ...] = ()

    @property
    def stack(self) -> str:
        parts = self.urn.split(":")
        return parts[2] if len(parts) > 2 and self.urn.startswith("urn:pulumi:") else ""

    @property
    def production(self) -> bool:
        """Whether the resource belongs to a production stack: it carries `Production: true`."""
        for key in ("tags", "tagsAll"):
            tags = self.props.get(key)
            if isinstance(tags, Mapping) and str(tags.get(PRODUCTION_TAG, "")).lower() == "true":
                return True
        return False

    @property
    def label(self) -> str:
        return f'{self.type.split(":")[-1]} "{self.name}"'


@dataclass(frozen=True)
class Violation:
    policy: str
    urn: str
    message: str
    enforcement: str


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[..., Iterable[str]]
    """`check(resource)` for a resource rule; `check(resources)` yielding (urn, message) for a stack rule."""
    enforcement: str = MANDATORY
    types: frozenset[str] | None = None
    """Resource types the rule looks at; None: every type."""
    stack: bool = False


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_VALUES


def is_secret(value: Any) -> bool:
    if isinstance(value, Mapping):
        # `pulumi stack export` keeps secrets as {sig: secret-sig, ciphertext|plaintext: ...}.
        return value.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270"
    return value == SECRET


def as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, str) or isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def truthy(value: Any) -> bool:
    """pulumi-aws spells some booleans as strings (launch template `ebs.encrypted`)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def describe(items: Sequence[str]) -> str:
    return ", ".join(items)


def evaluate(resources: Sequence[Resource], rules: Sequence[Rule]) -> list[Violation]:
    """Every violation of `rules` in `resources`, in resource order, then rule order."""
    by_urn: dict[str, list[Violation]] = {r.urn: [] for r in resources}
    for rule in rules:
        if rule.stack:
            for urn, message in rule.check(resources):
                by_urn.setdefault(urn, []).append(Violation(rule.name, urn, message, rule.enforcement))
            continue
        for resource in resources:
            if rule.types is None or resource.type in rule.types:
                for message in rule.check(resource):
                    by_urn[resource.urn].append(Violation(rule.name, resource.urn, message, rule.enforcement))
    return [v for urn in by_urn for v in by_urn[urn]]
