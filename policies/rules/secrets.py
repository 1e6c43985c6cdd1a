"""Secrets: nothing secret-looking in plaintext in user data, launch templates or environment maps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .model import SECRET, Resource, as_list, is_unknown
from .userdata import decode_user_data

_SECRET_SHAPES = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN ([A-Z]+ )*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    # scheme://user:password@host; a placeholder ([secret], $VAR, {{ var }}, %s) is not a credential.
    ("a credential inside a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@\"'\[]+:(?!\[secret\]@)(?![$%{<])[^\s/@\"']+@", re.IGNORECASE)),
)
_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)", re.IGNORECASE)
# Names that hold where a secret lives, not the secret.
_REFERENCE_NAME = re.compile(r"(_FILE|_PATH|_ARN|_NAME|_PARAMETER|_PARAM|_ID|_URL|_KEYS)$", re.IGNORECASE)
_ASSIGNMENT = re.compile(
    r"""(?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P=q)[ \t]*[=:][ \t]*(?P<vq>["']?)(?P<value>[^\s"',;}]*)"""
)


def _literal_secret(key: str, value: Any) -> bool:
    """Whether `key = value` puts a secret value in plain sight (not a reference, not a placeholder)."""
    if not isinstance(value, str) or value == SECRET or is_unknown(value):
        return False
    if not _SECRET_NAME.search(key) or _REFERENCE_NAME.search(key):
        return False
    # References: a path, an ARN, a template, an SSM name, or `rds-iam:HOST:PORT:USER` (where a host mints an IAM database token).
    if len(value) < 8 or value.startswith(("$", "/", "arn:", "<", "{{", "%", "ssm:", "[", "rds-iam:")):
        return False
    return value.lower() not in ("true", "false", "null", "none", "required", "optional")


def secret_findings(text: str) -> list[str]:
    """What in `text` looks like a secret, described without echoing it."""
    found = [what for what, shape in _SECRET_SHAPES if shape.search(text)]
    for match in _ASSIGNMENT.finditer(text):
        if _literal_secret(match.group("key"), match.group("value")):
            found.append(f"a literal value for {match.group('key')}")
    return list(dict.fromkeys(found))


def _env_maps(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    props = resource.props
    if resource.type == "aws:lambda/function:Function":
        env = props.get("environment")
        if isinstance(env, Mapping) and isinstance(env.get("variables"), Mapping):
            yield "environment.variables", env["variables"]
    elif resource.type == "aws:ecs/taskDefinition:TaskDefinition":
        definitions = props.get("containerDefinitions")
        if isinstance(definitions, str) and not is_unknown(definitions):
            try:
                definitions = json.loads(definitions)
            except json.JSONDecodeError:
                definitions = []
        for index, container in enumerate(as_list(definitions)):
            if isinstance(container, Mapping):
                pairs = {e.get("name"): e.get("value") for e in as_list(container.get("environment")) if isinstance(e, Mapping)}
                yield f"containerDefinitions[{index}].environment", pairs
    elif resource.type == "docker:index/container:Container":
        pairs = dict(str(e).split("=", 1) for e in as_list(props.get("envs")) if isinstance(e, str) and "=" in e)
        yield "envs", pairs
    for key in ("environment", "env", "environmentVariables"):
        if isinstance(props.get(key), Mapping) and resource.type not in ("aws:lambda/function:Function",):
            yield key, props[key]


def check_no_plaintext_secrets(resource: Resource) -> Iterator[str]:
    texts = []
    for key in ("userData", "userDataBase64"):
        value = resource.props.get(key)
        if isinstance(value, str) and value != SECRET and not is_unknown(value):
            texts.append((key, _inside(value)))
    for where, text in texts:
        for finding in secret_findings(text):
            yield (
                f"{resource.label}: {where} contains {finding}; user data is readable by anyone who can describe "
                "the instance: put the value in showrunner:secrets (SSM SecureString) and read it on the host"
            )
    for where, env in _env_maps(resource):
        for name, value in env.items():
            shaped = [what for what, shape in _SECRET_SHAPES if isinstance(value, str) and shape.search(value)]
            if shaped or _literal_secret(str(name), value):
                what = shaped[0] if shaped else "a literal secret"
                yield (
                    f"{resource.label}: {where}.{name} holds {what} in plaintext; move it to showrunner:secrets "
                    "(pulumi config set --secret) and pass it by reference"
                )


def _inside(value: str) -> str:
    """User data is base64 (gzipped when large): look inside it; anything else as it is."""
    decoded = decode_user_data(value)
    return value if decoded is None else decoded
