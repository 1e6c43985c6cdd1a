"""Tests that hunt: the real stack files, mutated (types, keys, nesting, encodings, YAML tricks).

Whatever the mutation, validation either accepts the file or refuses it with one line per problem,
each naming the file or a config path, in our words; it never raises anything else (a traceback).
A mutation it accepts previews. The legitimate variants at the end must preview.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from showrunner import engine
from showrunner.config import ConfigError
from showrunner.config.stackfile import StackConfigError
from tests.conftest import PROJECT_DIR
from tests.unit.config.test_messages import LEAKS

STACKS = {stack: (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text() for stack in ("staging", "prod")}
# The unit tier replays the same 150 examples per property every run; `SHOWRUNNER_HUNT=5000` hunts with
# fresh random ones (and that many) instead.
_FRESH = int(os.environ.get("SHOWRUNNER_HUNT", "0"))
HUNT = settings(
    derandomize=not _FRESH, database=None, deadline=None, max_examples=_FRESH or 150, suppress_health_check=[HealthCheck.too_slow]
)
_PATHED = re.compile(r'^(?:[^\s"]|"(?:[^"\\]|\\.)*")+: (?=\S)')
"""A line starts with the path it is about (parts with spaces quoted), then what is wrong."""


def validate(text: str | bytes, stack: str, tmp_path: Path) -> list[str] | None:
    """None when the file validates; its problem lines when it is refused. Anything else raised fails the test."""
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    try:
        engine.load_stack(PROJECT_DIR, stack, path)
    except ConfigError as error:
        lines = error.problems
    except StackConfigError as error:
        lines = [str(error)]
    else:
        return None
    assert lines, "a refusal says why"
    for line in lines:
        assert "\n" not in line and "Traceback" not in line, line
        assert line.startswith(f"{path}:") or _PATHED.match(line), f"names no path: {line}"
        # Our words only: not the path, nor a value quoted back.
        words = re.sub(r'"(?:[^"\\]|\\.)*"', '""', _PATHED.sub("", line) if not line.startswith(str(path)) else line[len(str(path)):])
        assert not any(leak in words for leak in LEAKS if leak not in ("^", "]+")), line
    return lines


# --- mutations of the parsed file ------------------------------------------------------------------

TRICKS = [
    "2026-11-23", "8080:30", "on", "localtime", "cron(75 30 ? * sun *)", "@reboot", "", " ", "[secret]", "/*", "aws:x",
    "0" * 300, "é", "\x00", "NaN", "-1", "1e3", "mysql://root:pw@db/x", "AKIAIOSFODNN7EXAMPLE", "arn:aws:acm:eu-west-1:1:certificate/x",
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.sampled_from(TRICKS),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(["secure", "paths", "min_size"])), inner, max_size=4),
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def _parent(document: dict, path: tuple) -> tuple[Any, Any]:
    node = document
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


def _typo(data, key: str) -> str:
    if not key:
        return "x"
    index = data.draw(st.integers(0, len(key) - 1))
    how = data.draw(st.sampled_from(["drop", "double", "swap", "upper", "case"]))
    if how == "drop":
        return key[:index] + key[index + 1:] or "x"
    if how == "double":
        return key[:index] + key[index] + key[index:]
    if how == "swap" and index + 1 < len(key):
        return key[:index] + key[index + 1] + key[index] + key[index + 2:]
    return key.upper() if how == "upper" else key.swapcase()


def mutate(data, document: dict) -> dict:
    """One mutation at a random place of the file: a value, a key, a deletion, an addition, more nesting."""
    path = data.draw(st.sampled_from(paths(document)))
    parent, last = _parent(document, path)
    kind = data.draw(st.sampled_from(["value", "delete", "rename", "add", "nest", "big"]))
    if kind == "value":
        parent[last] = data.draw(values)
    elif kind == "delete":
        del parent[last]
    elif kind == "rename" and isinstance(parent, dict):
        parent[_typo(data, str(last)) if data.draw(st.booleans()) else data.draw(st.text(min_size=1, max_size=10))] = parent.pop(last)
    elif kind == "add":
        target = parent[last] if isinstance(parent[last], dict) else parent
        if isinstance(target, dict):
            target[data.draw(st.text(min_size=1, max_size=10))] = data.draw(values)
        elif isinstance(target, list):
            target.append(data.draw(values))
    elif kind == "nest":
        for _ in range(data.draw(st.integers(1, 40))):
            parent[last] = data.draw(st.sampled_from([lambda v: [v], lambda v: {"x": v}]))(parent[last])
    else:
        parent[last] = data.draw(st.sampled_from(["x" * 20_000, ["8000:8000"] * 500, {f"K{i}": "v" for i in range(300)}]))
    return document


@pytest.mark.parametrize("stack", sorted(STACKS))
@HUNT
@given(data=st.data())
def test_no_mutation_of_the_values_gets_a_traceback_or_an_unpathed_line(stack, data, tmp_path_factory):
    document = mutate(data, yaml.safe_load(STACKS[stack]))
    validate(yaml.safe_dump(document, allow_unicode=True), stack, tmp_path_factory.mktemp("hunt"))


# --- mutations of the text -------------------------------------------------------------------------

YAML_TRICKS = [
    "2026-11-23", "8080:30", "yes", "ON", "~", "!!binary aGk=", "!Ref x", "&a x", "*a", "<<: *a", "? [a]", "{", "[", "'",
    '"', "|", ">", "- ", "\t", "%YAML 1.1", "---", "...", "#", ": ", "!!python/object:os.system x", "*" * 50, "&" + "a" * 200,
]


@pytest.mark.parametrize("stack", sorted(STACKS))
@HUNT
@given(data=st.data())
def test_no_edit_of_the_text_gets_a_traceback_or_an_unpathed_line(stack, data, tmp_path_factory):
    text = STACKS[stack]
    lines = text.splitlines(keepends=True)
    kind = data.draw(st.sampled_from(["token", "duplicate", "delete", "truncate", "insert", "indent"]))
    index = data.draw(st.integers(0, len(lines) - 1))
    if kind == "token":
        match = list(re.finditer(r"(?<=: )[^\s#][^\n]*", text))
        spot = data.draw(st.sampled_from(match))
        text = text[: spot.start()] + data.draw(st.sampled_from(YAML_TRICKS)) + text[spot.end():]
    elif kind == "duplicate":
        text = "".join(lines[: index + 1] + lines[index:])
    elif kind == "delete":
        text = "".join(lines[:index] + lines[index + 1:])
    elif kind == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif kind == "insert":
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(st.one_of(st.text(max_size=8), st.sampled_from(YAML_TRICKS))) + text[at:]
    else:
        lines[index] = data.draw(st.sampled_from(["  ", "\t", ""])) + lines[index].lstrip()
        text = "".join(lines)
    validate(text, stack, tmp_path_factory.mktemp("hunt"))


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]


@pytest.mark.parametrize("stack", sorted(STACKS))
@HUNT
@given(data=st.data())
def test_no_encoding_or_byte_gets_a_traceback(stack, data, tmp_path_factory):
    text = STACKS[stack]
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(st.sampled_from(["é", "ü", "€", "\u2028", "\ufeff", "\x85", "\x07"])) + text[at:]
    encoding = data.draw(st.sampled_from(ENCODINGS))
    blob = bytearray(text.encode(encoding, errors="replace"))
    for _ in range(data.draw(st.integers(0, 3))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    lines = validate(bytes(blob), stack, tmp_path_factory.mktemp("hunt"))
    if encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        assert lines is not None, "a file that is not UTF-8 is refused"


# --- mutations it accepts preview ----------------------------------------------------------------------


@settings(derandomize=True, database=None, deadline=None, max_examples=6, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_mutation_that_validates_also_previews(data, tmp_path_factory):
    """The offline preview registers nothing that validation did not vouch for: no failure after it."""
    document = yaml.safe_load(STACKS["staging"])
    path = data.draw(st.sampled_from([p for p in paths(document) if p[-1] in ("env", "min_size", "max_size", "tags", "instance_types")]))
    parent, last = _parent(document, path)
    parent[last] = data.draw(
        st.one_of(
            st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True), st.text(min_size=1, max_size=3000), max_size=8),
            st.integers(0, 1000),
            st.lists(st.sampled_from(["t3.small", "c7i.large", "m7i.xlarge"]), min_size=1, max_size=3, unique=True),
        )
    )
    tmp = tmp_path_factory.mktemp("hunt")
    if validate(yaml.safe_dump(document), "staging", tmp) is None:
        engine.run_stack(PROJECT_DIR, "staging", tmp / "Pulumi.staging.yaml")


# --- legitimate variants: each must preview -------------------------------------------------------------


def _services(config: dict) -> dict:
    return config.setdefault("showrunner:services", {})


def _new_service(config):
    _services(config)["search"] = {
        "type": "web", "image": "micro", "command": "/micro", "fleet": "micro", "ports": ["8081:8080"],
        "route": {"paths": ["/api/search/*"], "priority": 20},
    }


def _region(config):
    config["aws:region"] = "eu-west-1"
    arn = config["showrunner:load_balancer"]["certificate_arn"]
    config["showrunner:load_balancer"]["certificate_arn"] = arn.replace(":us-east-1:", ":eu-west-1:")


def _bigger_fleet(config):
    config["showrunner:fleets"]["www"].update(min_size=10, max_size=1000, instance_types=["c7i.2xlarge", "c6i.2xlarge", "m7i.2xlarge"])


def _extra_queue(config):
    config["showrunner:state"]["queues"] = {"names": ["celery", "notifications", "video"], "longest_task_seconds": 600, "visibility_timeout_seconds": 900}


def _extra_table(config):
    config["showrunner:state"]["tables"] = {"ratings": {"hash_key": "show_id", "hash_key_type": "N"}}


def _warm_pool(config):
    config["showrunner:fleets"]["www"] = {"instance_types": ["c7i.xlarge"], "warm_pool": {"min_size": 1, "pool_state": "Stopped"}}


def _host_routing(config):
    _services(config)["search"] = {
        "type": "web", "image": "micro", "command": "/micro", "fleet": "micro", "ports": ["8081:8080"],
        "route": {"hosts": ["search.showrunner.example"], "priority": 5},
    }


def _tags(config):
    config["showrunner:tags"] = {"Team": "tv", "CostCenter": "1234", "owner:email": "tv@example.com"}


def _existing_vpc(config):
    config["showrunner:network"] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
    }


def _production_copy(config):
    config["showrunner:production"] = True


VARIANTS: list[tuple[str, str, Callable[[dict], None] | None, Callable[[str], str | bytes] | None]] = [
    ("a new service", "staging", _new_service, None),
    ("another region", "staging", _region, None),
    ("a bigger fleet", "prod", _bigger_fleet, None),
    ("an extra queue", "staging", _extra_queue, None),
    ("an extra table", "staging", _extra_table, None),
    ("a warm pool", "staging", _warm_pool, None),
    ("host routing", "prod", _host_routing, None),
    ("tags of our own", "staging", _tags, None),
    ("a production copy under another name", "prod-eu", _production_copy, None),
    ("an existing VPC", "prod", _existing_vpc, None),
    ("anchors, aliases and merge keys", "staging", None, lambda text: text.replace(
        "  showrunner:fleets:\n    www:\n      instance_types: [t3.medium]\n    micro:\n      instance_types: [t3.small]\n"
        "    worker:\n      instance_types: [t3.small]\n",
        "  showrunner:fleets:\n    www:\n      instance_types: [t3.medium]\n    micro: &small\n      instance_types: [t3.small]\n"
        "    worker:\n      <<: *small\n")),
    ("a byte-order mark", "prod", None, lambda text: b"\xef\xbb\xbf" + text.encode()),
]


@pytest.mark.parametrize(("stack", "change", "edit"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_a_legitimate_variant_previews(stack, change, edit, tmp_path):
    base = STACKS["prod" if stack.startswith("prod") else stack]
    if change is not None:
        document = yaml.safe_load(base)
        change(document["config"])
        base = yaml.safe_dump(document, sort_keys=False)
    text = edit(base) if edit is not None else base
    assert text != STACKS.get(stack), "the variant changes the file"
    assert validate(text, stack, tmp_path) is None
    run = engine.run_stack(PROJECT_DIR, stack, tmp_path / f"Pulumi.{stack}.yaml")
    assert run.resources


def _variant_run(stack: str, change, tmp_path: Path):
    document = yaml.safe_load(STACKS[stack])
    change(document["config"])
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return engine.run_stack(PROJECT_DIR, stack, path)


def test_the_offline_preview_follows_the_stacks_region(tmp_path):
    """ARNs, endpoints, zones and the public SSM parameters (the AMIs) are the stack's region's."""
    from showrunner import preview

    moved = _variant_run("staging", _region, tmp_path)
    text = preview.dumps(preview.preview_document(moved))
    # The one us-east-1 left is prose: host-access.yml's parameter description gives an example registry.
    text = text.replace("The account's ECR registry host, 123456789012.dkr.ecr.us-east-1.amazonaws.com", "")
    assert "us-east-1" not in text and "use1" not in text
    assert "arn:aws:sqs:eu-west-1:" in text and ".eu-west-1.rds.amazonaws.com" in text and ".euw1.cache.amazonaws.com" in text
    subnets = [r.inputs["availabilityZone"] for r in moved.resources if r.type == "aws:ec2/subnet:Subnet"]
    assert subnets and set(subnets) <= {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    home = _variant_run("staging", lambda config: None, tmp_path)
    amis = {r.inputs.get("imageId") for r in home.resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"}
    moved_amis = {r.inputs.get("imageId") for r in moved.resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"}
    assert amis and moved_amis and not amis & moved_amis, "a region has its own AMIs"


def test_an_existing_vpc_previews_without_creating_one(tmp_path):
    run = _variant_run("prod", _existing_vpc, tmp_path)
    types = {r.type for r in run.resources}
    assert "aws:ec2/vpc:Vpc" not in types and "aws:ec2/subnet:Subnet" not in types
    balancer = next(r for r in run.resources if r.type == "aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["subnets"] == ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
