"""Stand-ins shared by the fleet, host and wiring tests: plain values where the program has other
components' outputs, and a stack file whose secrets are real, distinctive plaintexts."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import yaml

DIGEST = "sha256:" + "1" * 64
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-0000-0000-0000-000000000000"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:showrunner-prod-alerts"
ALERTS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/5678abcd-0000-0000-0000-000000000000"


def repository_arn(image: str) -> str:
    return f"arn:aws:ecr:us-east-1:123456789012:repository/showrunner/prod/{image}"


def components(endpoints) -> dict[str, SimpleNamespace]:
    """What `wiring.fleet_args` reads of the other components, as plain values (so Args come back plain)."""
    images = ("base", "www", "micro")
    return {
        "golden_ami": SimpleNamespace(ami_id="ami-0123456789abcdef0"),
        "images": SimpleNamespace(
            digests={image: f"ecr.example/showrunner/{image}@{DIGEST}" for image in images},
            repository_arns={image: repository_arn(image) for image in images},
        ),
        "secrets": SimpleNamespace(key_arn=KEY_ARN),
        "network": SimpleNamespace(vpc_id="vpc-0a1b2c3d", public_subnet_ids=["subnet-p1", "subnet-p2"], private_subnet_ids=["subnet-q1", "subnet-q2"]),
        "load_balancer": SimpleNamespace(
            security_group_id="sg-alb",
            arn_suffix="app/web-alb/0001",
            target_groups={
                "django": SimpleNamespace(arn="arn:tg/web-django", arn_suffix="targetgroup/web-django/01"),
                "catalog": SimpleNamespace(arn="arn:tg/web-catalog", arn_suffix="targetgroup/web-catalog/02"),
            },
        ),
        "state": SimpleNamespace(endpoints=endpoints, security_group_ids={"mysql": "sg-mysql", "cache": "sg-cache"}),
        "alerts": SimpleNamespace(topic_arn=TOPIC_ARN, key_arn=ALERTS_KEY_ARN),
    }


def standalone_run(directory: Path, program: str):
    """Another team's program using a component with plain Args, run offline in `directory`."""
    from showrunner import engine

    (directory / "Pulumi.yaml").write_text("name: solo\nruntime: python\n")
    (directory / "Pulumi.staging.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (directory / "__main__.py").write_text(program)
    return engine.run_stack(directory, "staging")


def canary(service: str, name: str) -> str:
    return f"canary-{service}-{name}-7f3a9c41"


def canary_stack_file(project_dir: Path, stack: str, target: Path) -> dict[str, dict[str, str]]:
    """`Pulumi.<stack>.yaml` with every `secure:` secret replaced by a distinctive plaintext, which
    is what a real deploy decrypts them to. Returns service → name → that plaintext."""
    document = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text())
    secrets = document["config"]["showrunner:secrets"]
    values = {service: {name: canary(service, name) for name in names} for service, names in secrets.items()}
    document["config"]["showrunner:secrets"] = values
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return values
