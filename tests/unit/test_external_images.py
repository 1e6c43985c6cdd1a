"""Images from outside the pipeline: pinned in `image` itself, pulled where they run.

A service may run an image of another private ECR repository (another team's, another account's,
another region's): its fleet's role may pull exactly that repository, derived from the reference,
and its hosts get that registry's credentials. ECR Public needs no grant; anything else is refused
with its path (hosts hold no registry password).
"""

from __future__ import annotations

import base64
import json
import shutil

import pytest
import yaml

from showrunner import engine
from showrunner.config import ConfigError
from tests.conftest import PROJECT_DIR, one

DIGEST = "sha256:" + "5" * 64
SAME_REGISTRY = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/search/api@{DIGEST}"
OTHER_ACCOUNT = f"210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/catalog@{DIGEST}"


def project_with(tmp_path, services: dict):
    """This project (program, images, components' documents) with prod's stack file plus `services`."""
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    for folder in ("images", "showrunner", "components"):
        (tmp_path / folder).symlink_to(PROJECT_DIR / folder)
    document = yaml.safe_load((tmp_path / "Pulumi.prod.yaml").read_text())
    document["config"]["showrunner:services"].update(services)
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return tmp_path


def worker(image: str) -> dict:
    return {"type": "worker", "image": image, "command": "/search --serve", "fleet": "worker"}


def role_pulls(run, fleet: str) -> list[str]:
    policy = json.loads(one(run, "aws:iam/rolePolicy:RolePolicy", f"{fleet}-role-policy").inputs["policy"])
    [pull] = [s for s in policy["Statement"] if s["Sid"] == "EcrPullStackRepositories"]
    return pull["Resource"]


def user_data(run, fleet: str) -> dict:
    text = base64.b64decode(one(run, "aws:ec2/launchTemplate:LaunchTemplate", f"{fleet}-lt").inputs["userData"])
    if text[:2] == b"\x1f\x8b":
        import gzip

        text = gzip.decompress(text)
    return yaml.safe_load(text.decode())


def test_an_external_ecr_image_gets_pull_rights_on_exactly_its_repository(tmp_path):
    run = engine.run_stack(project_with(tmp_path, {"search": worker(SAME_REGISTRY), "feeds": worker(OTHER_ACCOUNT)}), "prod")
    assert role_pulls(run, "worker") == [
        "arn:aws:ecr:eu-west-1:210987654321:repository/team/catalog",
        "arn:aws:ecr:us-east-1:123456789012:repository/search/api",
        "arn:aws:ecr:us-east-1:123456789012:repository/showrunner/prod/www",
    ]
    # The other fleets run none of them and get no grant for them.
    assert role_pulls(run, "www") == ["arn:aws:ecr:us-east-1:123456789012:repository/showrunner/prod/www"]
    # Another account's registry needs its credentials on the host: the Docker client config names both.
    files = {f["path"]: f for f in user_data(run, "worker")["write_files"]}
    config = files["/root/.docker/config.json"]
    assert config["permissions"] == "0600"
    assert json.loads(config["content"]) == {"credHelpers": {
        "123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login",
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login",
    }}
    units = {f["path"]: f["content"] for f in user_data(run, "worker")["write_files"]}
    assert any(f"pull --quiet {OTHER_ACCOUNT}" in text for text in units.values())


def test_the_own_registry_alone_leaves_the_golden_image_client_config(tmp_path):
    run = engine.run_stack(project_with(tmp_path, {"search": worker(SAME_REGISTRY)}), "prod")
    assert "arn:aws:ecr:us-east-1:123456789012:repository/search/api" in role_pulls(run, "worker")
    assert "/root/.docker/config.json" not in {f["path"] for f in user_data(run, "worker")["write_files"]}


def test_ecr_public_needs_no_grant(tmp_path):
    run = engine.run_stack(project_with(tmp_path, {"search": worker(f"public.ecr.aws/acme/search@{DIGEST}")}), "prod")
    assert role_pulls(run, "worker") == ["arn:aws:ecr:us-east-1:123456789012:repository/showrunner/prod/www"]


@pytest.mark.parametrize("image, problem", [
    (f"ghcr.io/acme/search@{DIGEST}", "is outside ECR"),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/search/api:1.4", "names a tag; hosts run digests only"),
])
def test_an_image_hosts_cannot_pull_by_digest_is_refused_with_its_path(tmp_path, image, problem):
    with pytest.raises(ConfigError) as caught:
        engine.run_stack(project_with(tmp_path, {"search": worker(image)}), "prod")
    [line] = caught.value.problems
    assert line.startswith(f'showrunner:services.search.image: "{image}" {problem}')


def test_the_grant_is_derived_from_each_reference_in_its_partition():
    from showrunner.config.models import Service
    from showrunner.wiring import external_repository_arns

    services = {name: Service(command="x", type="worker", fleet="worker", image=image) for name, image in {
        "a": SAME_REGISTRY, "b": SAME_REGISTRY, "c": OTHER_ACCOUNT, "d": f"public.ecr.aws/acme/d@{DIGEST}", "e": "www",
        "f": f"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/f@{DIGEST}",
    }.items()}
    assert external_repository_arns(services) == [
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/f",
        "arn:aws:ecr:eu-west-1:210987654321:repository/team/catalog",
        "arn:aws:ecr:us-east-1:123456789012:repository/search/api",
    ]
