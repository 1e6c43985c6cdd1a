"""What several components share about AWS itself: the Debian AMIs' root device, the EC2 trust
policy, the account's ECR registry host, and the YAML form of the documents AWS receives (user
data, Image Builder components)."""

from __future__ import annotations

from typing import Any

import yaml

ROOT_DEVICE = "/dev/xvda"
"""The root device name of the official Debian 12 AMIs (the golden AMI's parent)."""
IAM_VERSION = "2012-10-17"


def ec2_trust_policy(partition: str = "aws") -> dict:
    """A role only EC2 instances can take (through an instance profile)."""
    service = "ec2.amazonaws.com.cn" if partition == "aws-cn" else "ec2.amazonaws.com"
    return {
        "Version": IAM_VERSION,
        "Statement": [{"Sid": "Ec2Instances", "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def ecr_registry(account_id: str, region: str, dns_suffix: str = "amazonaws.com") -> str:
    """The account's private ECR registry host in a region: what the golden image's credential helper serves."""
    return f"{account_id}.dkr.ecr.{region}.{dns_suffix}"


# libyaml's loader and emitter when PyYAML was built with it (its wheels are): the same documents,
# about ten times faster than the pure-Python ones, which a preview would otherwise spend ~0.3 s in.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _BlockDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Multi-line strings as `|` blocks, so a unit file or a script reads as itself."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockDumper.add_representer(str, _represent_str)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, through libyaml when it is there. A text libyaml refuses is parsed again by
    the pure-Python loader, whose `yaml.YAMLError` is raised: its problem texts are the readable ones
    (`expected ',' or ']', but got '<stream end>'`)."""
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def dump_yaml(document: Any, **options: Any) -> str:
    """YAML with multi-line strings as blocks and keys in the order built (deterministic)."""
    return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, **options)
