"""Stack files → the config a program receives → one merged value per key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from showrunner.config.stackfile import (
    SECRET_PLACEHOLDER,
    StackConfigError,
    cli_config,
    deep_merge,
    load_project,
    load_stack_file,
    namespace_values,
)


def test_maps_merge_lists_and_scalars_replace_null_removes():
    base = {"django": {"env": {"A": "1", "B": "2"}, "ports": ["8000:8000"], "rm": False}, "cron": {"x": 1}}
    overlay = {"django": {"env": {"B": "3"}, "ports": ["9000:9000"], "rm": True}, "cron": None}
    assert deep_merge(base, overlay) == {"django": {"env": {"A": "1", "B": "3"}, "ports": ["9000:9000"], "rm": True}}
    assert base["django"]["env"] == {"A": "1", "B": "2"}, "the defaults must not be mutated"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path):
    write(
        tmp_path,
        "Pulumi.yaml",
        "name: demo\nruntime: python\nconfig:\n"
        "  aws:region:\n    value: us-east-1\n"
        "  services:\n    value:\n      web: {image: www, env: {A: '1'}}\n"
        "  replicas:\n    type: integer\n    default: 2\n",
    )
    return load_project(tmp_path)


def test_the_cli_shape_qualified_keys_json_objects_and_redacted_secrets(project, tmp_path):
    stack = write(
        tmp_path,
        "Pulumi.dev.yaml",
        "config:\n  demo:services:\n    web: {env: {B: '2'}}\n"
        "  demo:secrets:\n    web:\n      TOKEN:\n        secure: v1:abc:def\n  demo:replicas: 3\n",
    )
    config, secret_keys = cli_config(project, load_stack_file(stack, project).values)
    assert config == {
        "aws:region": "us-east-1",
        "demo:replicas": "3",
        "demo:secrets": json.dumps({"web": {"TOKEN": SECRET_PLACEHOLDER}}),
        "demo:services": json.dumps({"web": {"env": {"B": "2"}}}),
    }
    assert secret_keys == ["demo:secrets"]
    assert "v1:abc" not in json.dumps(config)
    assert namespace_values(project, config) == {
        "replicas": 3,
        "secrets": {"web": {"TOKEN": SECRET_PLACEHOLDER}},
        "services": {"web": {"image": "www", "env": {"A": "1", "B": "2"}}},
    }


def test_unreadable_files_are_one_line_naming_the_file(project, tmp_path):
    with pytest.raises(StackConfigError, match=r"Pulumi\.nope\.yaml: no such file"):
        load_stack_file(tmp_path / "Pulumi.nope.yaml", project)
    bad = write(tmp_path, "Pulumi.bad.yaml", "config:\n  demo:x: [1, 2\n")
    with pytest.raises(StackConfigError) as caught:
        load_stack_file(bad, project)
    assert str(caught.value).startswith(f"{bad}:") and "\n" not in str(caught.value)


def repeated_defaults(model, value: dict, path: str) -> list[str]:
    """Every key of `value` that sets what `model` defaults to anyway."""
    from pydantic import BaseModel

    from showrunner.config.reference import nested

    found = []
    for key, item in value.items():
        field = model.model_fields.get(key)
        if field is None:
            continue
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        if not isinstance(default, BaseModel) and item == default and default is not None:
            found.append(f"{path}.{key}")
        inner = nested(field.annotation)
        if inner is not None and isinstance(item, dict):
            entries = item.items() if inner[1] == ".<name>." else [(None, item)]
            for name, entry in entries:
                if isinstance(entry, dict):
                    found += repeated_defaults(inner[0], entry, f"{path}.{key}" + (f".{name}" if name else ""))
    return found


def test_pulumi_yaml_repeats_no_model_default(project_dir):
    from showrunner.config.models import SECTIONS

    project = load_project(project_dir)
    repeated = []
    for section in SECTIONS:
        value = project.defaults.get(f"showrunner:{section.key}")
        if not isinstance(value, dict) or not hasattr(section.model, "model_fields"):
            continue
        entries = value.items() if section.entry else [(None, value)]
        for name, entry in entries:
            if isinstance(entry, dict):
                repeated += repeated_defaults(section.model, entry, f"showrunner:{section.key}" + (f".{name}" if name else ""))
    assert repeated == []
