"""Every problem line is in our words: no pydantic phrasing, no regular expression, whatever the input."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from showrunner.config.messages import _PYDANTIC, _message, problems_of
from showrunner.config.reference import models

LEAKS = ("should", "Input", "input", "after validation", "Value error", "valid dictionary", "instance of", "^", "]+", "\\d")

HOSTILE = ["x", "", "8080:30", 0, -1, 10**12, 1.5, True, None, [], ["x"], [1], {}, {"a": 1}]


def lines_for(model: type[BaseModel], field: str, value) -> list[str]:
    try:
        model.model_validate({field: value})
    except ValidationError as error:
        return problems_of(error, ("section",), redact=False)
    return []


@pytest.mark.parametrize("model", models(), ids=lambda m: m.__name__)
def test_no_hostile_value_gets_library_wording(model):
    for field in model.model_fields:
        for value in HOSTILE:
            for line in lines_for(model, field, value):
                assert not any(leak in line for leak in LEAKS), line


@pytest.mark.parametrize("kind", sorted(_PYDANTIC))
def test_no_pydantic_message_passes_through(kind):
    ctx = {"expected": "'a' or 'b'", "ge": 1, "le": 1, "gt": 1, "lt": 1, "multiple_of": 2, "min_length": 1, "max_length": 1,
           "actual_length": 0, "field_type": "List", "class_name": "Route"}
    message = _message({"type": kind, "msg": "Input should be LEAKED", "input": "x", "ctx": ctx})
    assert "LEAKED" not in message and "should" not in message


@pytest.mark.parametrize(
    ("model", "field", "value", "expected"),
    [
        ("Queues", "names", [], "section.names: must list at least 1 item, not 0"),
        ("Fleet", "instance_types", ["c7i.large"] * 21, "section.instance_types: must list at most 20 items, not 21"),
        ("Service", "command", "", "section.command: is empty"),
        ("Service", "route", "/x", 'section.route: expected a map, got "/x"'),
        ("Mysql", "instance_class", "m5.large", 'section.instance_class: "m5.large" is not an RDS instance class like "db.t3.medium"'),
        ("Mysql", "backup_window", "7-8", 'section.backup_window: "7-8" is not a daily window `hh:mm-hh:mm`, UTC'),
        ("Table", "hash_key", "user id", 'section.hash_key: "user id" is not a DynamoDB attribute name (letters, digits, dots, dashes and underscores; at most 255)'),
        ("Network", "vpc_id", "vpc-1", 'section.vpc_id: "vpc-1" is not a VPC id like "vpc-0123456789abcdef0"'),
        ("Scaling", "cpu_percent", 0.0, "section.cpu_percent: 0.0 must be greater than 0"),
        ("WarmPool", "pool_state", "Frozen", "section.pool_state: \"Frozen\" is not one of 'Stopped', 'Running' or 'Hibernated'"),
    ],
)
def test_each_kind_of_problem_in_our_words(model, field, value, expected):
    by_name = {m.__name__: m for m in models()}
    assert f"showrunner:{expected}" in lines_for(by_name[model], field, value)
