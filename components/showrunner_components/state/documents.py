"""Documents the stores are configured with: the MySQL parameter group, SQS redrive, table keys."""

from __future__ import annotations

import json
from collections.abc import Mapping

DEFAULT_KEY_TYPE = "S"
"""A key attribute's type when the table does not say: string."""


def parameter_group_family(engine_version: str) -> str:
    major, minor = engine_version.split(".")[:2]
    return f"mysql{major}.{minor}"


def mysql_parameters() -> list[dict[str, str]]:
    """The parameter group's settings: the server refuses any connection that is not TLS."""
    return [{"name": "require_secure_transport", "value": "ON", "apply_method": "immediate"}]


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}, separators=(",", ":"))


def table_attributes(table: Mapping) -> list[dict[str, str]]:
    """Only the key attributes are declared: DynamoDB refuses attribute definitions no key uses.

    `table` is a `StateTable`: `hash_key`, and optionally `hash_key_type`, `range_key`, `range_key_type`.
    """
    attributes = [{"name": table["hash_key"], "type": table.get("hash_key_type", DEFAULT_KEY_TYPE)}]
    if table.get("range_key") is not None:
        attributes.append({"name": table["range_key"], "type": table.get("range_key_type", DEFAULT_KEY_TYPE)})
    return attributes

