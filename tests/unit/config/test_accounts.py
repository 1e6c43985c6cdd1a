"""One GitHub OIDC provider per AWS account: a second stack in the account names the first one's."""

from __future__ import annotations

import shutil

import yaml

from showrunner.config import ConfigError
from showrunner.engine import load_stack
from tests.conftest import PROJECT_DIR

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def project(tmp_path, **stack_files: dict):
    """This project's Pulumi.yaml and stack files, plus `stack_files` (stack → its config map)."""
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "images").symlink_to(PROJECT_DIR / "images")
    for stack, config in stack_files.items():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


SECRETS = {"showrunner:secrets": {service: {"SECRET_KEY": {"secure": "v1:bm9uY2U=:Y2lwaGVy"}} for service in ("django", "celery", "clearsessions")}}


def certificate(account: str, partition: str = "aws", region: str = "us-east-1") -> dict:
    """A stack file whose only account-specific value is its certificate's account."""
    return {"aws:region": region, "showrunner:load_balancer": {"certificate_arn": f"arn:{partition}:acm:{region}:{account}:certificate/qa-0000"},
            "showrunner:image_pipeline": {"refresh_key": "2026-W48"}, **SECRETS}


def problems(directory, stack: str) -> list[str]:
    try:
        load_stack(directory, stack)
    except ConfigError as error:
        return error.problems
    return []


def test_this_repository_shares_staging_s_provider_with_prod():
    assert problems(PROJECT_DIR, "staging") == [] and problems(PROJECT_DIR, "prod") == []
    assert yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["showrunner:delivery"]["oidc_provider_arn"] == PROVIDER


def test_a_second_stack_in_the_account_is_told_whose_provider_to_name(tmp_path):
    directory = project(tmp_path, uat=certificate("123456789012"))
    assert problems(directory, "uat") == [
        "showrunner:delivery.oidc_provider_arn: stack uat would create a second GitHub OIDC provider in account 123456789012, "
        "where stack staging creates it (an account has one; the second `pulumi up` fails with EntityAlreadyExists). "
        f"Share staging's: pulumi config set --stack uat --path showrunner:delivery.oidc_provider_arn {PROVIDER}"
    ]
    # The first stack to deploy keeps it: staging's own validation is untouched by uat's file.
    assert problems(directory, "staging") == []


def test_the_stack_that_deploys_first_creates_it(tmp_path):
    """`aa` sorts before staging and builds its own images: it deploys first, so it owns the provider."""
    directory = project(tmp_path, aa=certificate("123456789012"))
    assert problems(directory, "aa") == []
    [problem] = problems(directory, "staging")
    assert problem.startswith("showrunner:delivery.oidc_provider_arn: stack staging would create a second GitHub OIDC provider")
    assert "where stack aa creates it" in problem


def test_a_stack_in_its_own_account_creates_its_own(tmp_path):
    assert problems(project(tmp_path, qa=certificate("210987654321")), "qa") == []


def test_a_provider_of_another_account_is_refused(tmp_path):
    config = {**certificate("210987654321"), "showrunner:delivery": {"oidc_provider_arn": PROVIDER}}
    assert problems(project(tmp_path, qa=config), "qa") == [
        "showrunner:delivery.oidc_provider_arn: names the provider of account 123456789012, but stack qa is in account "
        "210987654321 (its load balancer certificate's), and a role trusts only its own account's provider; set it to "
        "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"
    ]


def test_the_suggested_arn_is_in_the_stack_s_partition(tmp_path):
    directory = project(tmp_path, **{"cn-one": certificate("123456789012", "aws-cn", "cn-north-1"),
                                     "cn-two": certificate("123456789012", "aws-cn", "cn-north-1")})
    [problem] = problems(directory, "cn-two")
    assert "where stack cn-one creates it" in problem
    assert problem.endswith("arn:aws-cn:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")
