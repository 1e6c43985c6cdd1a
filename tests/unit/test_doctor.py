"""`showrunner doctor`: what a first `pulumi up` needs, offline on a fresh clone and against a stubbed account.

The account is boto3's real clients under botocore's Stubber (the answers AWS gives: a bucket that
is not there is a 404 on HeadBucket, a missing parameter is ParameterNotFound); GitHub and this
machine are plain stand-ins.
"""

from __future__ import annotations

import base64
import os
import re
import shutil

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from showrunner import cli, doctor
from tests.conftest import PROJECT_DIR

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0b6d4c8e-1f2a-4b3c-9d8e-7f6a5b4c3d2e"
AMI = "ami-0a1b2c3d4e5f60718"


class Machine:
    """A machine as doctor sees it: its Pulumi login, Docker, wheelhouses, and what it can read."""

    def __init__(self, *, backend=None, docker="no Docker daemon answers at unix:///var/run/docker.sock (No such file or directory)",
                 wheelhouses=False, cloud=None, github=None):
        self._backend, self._docker, self._wheelhouses, self._cloud, self._github = backend, docker, wheelhouses, cloud, github

    def backend(self):
        return self._backend

    def docker(self):
        return self._docker

    def wheelhouse_built(self, directory):
        return self._wheelhouses

    def cloud(self, region):
        return self._cloud

    def github(self, repository):
        return self._github


class Repository:
    def __init__(self, variables: dict[str, str], environments: list[str]):
        self._variables, self._environments = variables, environments

    def variables(self):
        return self._variables

    def environments(self):
        return self._environments


class StubbedSession:
    """What AwsAccount asks of a boto3 session: clients, here real ones whose answers are stubbed."""

    def __init__(self):
        self.clients, self.stubbers = {}, {}
        for service in ("s3", "kms", "ssm", "iam"):
            client = boto3.client(service, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
            self.clients[service], self.stubbers[service] = client, Stubber(client)

    def client(self, service, region_name=None):
        return self.clients[service]

    def __enter__(self):
        for stubber in self.stubbers.values():
            stubber.activate()
        return self

    def __exit__(self, *exc):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()
            stubber.deactivate()


def account(session: StubbedSession, *, bucket=True, key=True, ami=None, providers=()):
    s3, kms, ssm, iam = (session.stubbers[s] for s in ("s3", "kms", "ssm", "iam"))
    if bucket:
        s3.add_response("head_bucket", {}, {"Bucket": "showrunner-pulumi-state"})
    else:
        s3.add_client_error("head_bucket", "404", "Not Found", 404, expected_params={"Bucket": "showrunner-pulumi-state"})
    if key:
        kms.add_response("describe_key", {"KeyMetadata": {"KeyId": KEY_ARN.rsplit("/", 1)[1], "Arn": KEY_ARN}}, {"KeyId": "alias/showrunner-staging"})
    else:
        kms.add_client_error("describe_key", "NotFoundException", "Alias not found", 400)
    if ami:
        ssm.add_response("get_parameter", {"Parameter": {"Name": "/imagebuilder/showrunner/staging/ami-id", "Value": ami, "Type": "String"}},
                         {"Name": "/imagebuilder/showrunner/staging/ami-id"})
    else:
        ssm.add_client_error("get_parameter", "ParameterNotFound", "", 400, expected_params={"Name": "/imagebuilder/showrunner/staging/ami-id"})
    iam.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": arn} for arn, _ in providers]})
    for arn, tags in providers:
        iam.add_response("list_open_id_connect_provider_tags", {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]},
                         {"OpenIDConnectProviderArn": arn})
    return doctor.AwsAccount(session, "us-east-1")


def ciphertext() -> str:
    """What `pulumi config set --secret` writes: v1, a nonce, AES-GCM output (random bytes here)."""
    return "v1:" + base64.b64encode(os.urandom(12)).decode() + ":" + base64.b64encode(b"\xff" + os.urandom(47)).decode()


def ready_project(tmp_path, **staging_config):
    """This project with staging set up the way doctor asks: a KMS secrets provider, real secrets, the key's ARN."""
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "images").symlink_to(PROJECT_DIR / "images")
    document = yaml.safe_load((tmp_path / "Pulumi.staging.yaml").read_text())
    document["secretsprovider"] = "awskms://alias/showrunner-staging?region=us-east-1"
    document["encryptedkey"] = base64.b64encode(os.urandom(64)).decode()
    config = document["config"]
    config["showrunner:secrets"] = {service: {"SECRET_KEY": {"secure": ciphertext()}} for service in config["showrunner:secrets"]}
    config["showrunner:delivery"] = {"secrets_provider_key_arn": KEY_ARN}
    config.update(staging_config)
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return tmp_path


VARIABLES = {"AWS_REGION": "us-east-1", "PULUMI_STATE_BUCKET": "showrunner-pulumi-state",
             "AWS_PREVIEW_ROLE_ARN_STAGING": "arn:aws:iam::123456789012:role/delivery-preview-0a1b2c3",
             "AWS_DEPLOY_ROLE_ARN_STAGING": "arn:aws:iam::123456789012:role/delivery-deploy-4d5e6f7",
             "PULUMI_SECRETS_PROVIDER_STAGING": "awskms://alias/showrunner-staging?region=us-east-1"}


def statuses(text: str) -> dict[str, str]:
    """Check title's first words → its status, read back from the report."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^\[(ok|missing|unchecked)\] +([^:]+):", line)
        if match:
            found[match[2]] = match[1]
    return found


# --- offline: a fresh clone ----------------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_offline_the_committed_placeholders_are_reported_by_path_and_the_exit_is_1(stack):
    text, code = doctor.run(PROJECT_DIR, stack, env=Machine())
    assert code == 1
    for service in ("django", "celery", "clearsessions"):
        assert f"            Pulumi.{stack}.yaml: showrunner:secrets.{service}.SECRET_KEY is a placeholder, not a secret" in text.splitlines()
        assert (f"            do: pulumi config set --stack {stack} --secret --path 'showrunner:secrets.{service}.SECRET_KEY' "
                '"$(openssl rand -base64 48)"') in text.splitlines()
    assert statuses(text) == {"configuration": "ok", "state backend": "missing", "secrets provider": "missing", "secrets": "missing",
                              "golden AMI": "unchecked", "wheelhouses": "missing", "Docker": "missing", "GitHub OIDC provider": "unchecked",
                              "GitHub": "unchecked"}


def test_the_readme_s_first_deploy_is_doctor_s_output_line_by_line():
    """README.md, "Deploying for real", shows what doctor prints on a fresh clone, offline."""
    readme = (PROJECT_DIR / "README.md").read_text()
    section = readme.split("## Deploying for real\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```text\n(\$ \.venv/bin/showrunner doctor --stack staging\n.*?)```\n", section, re.S)
    assert block, "README.md's Deploying for real has no ```text block starting with the doctor command"
    text, _ = doctor.run(PROJECT_DIR, "staging", env=Machine())
    assert block[1].splitlines() == ["$ .venv/bin/showrunner doctor --stack staging", *text.splitlines()]


def test_a_placeholder_is_readable_text_a_secret_is_not():
    committed = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())["config"]["showrunner:secrets"]["django"]["SECRET_KEY"]["secure"]
    assert doctor.is_placeholder(committed)
    assert doctor.is_placeholder("not-a-ciphertext") and doctor.is_placeholder("v1:abc:!!!")
    assert not any(doctor.is_placeholder(ciphertext()) for _ in range(50))


# --- online: a stubbed account ---------------------------------------------------------------


def test_a_fresh_account_gets_the_commands_that_create_what_is_missing(tmp_path):
    project = ready_project(tmp_path)
    with StubbedSession() as session:
        text, code = doctor.run(project, "staging", env=Machine(backend="s3://showrunner-pulumi-state", docker=None, wheelhouses=True,
                                                                cloud=account(session, bucket=False, key=False)))
    assert code == 1
    lines = text.splitlines()
    assert "            do: aws s3api create-bucket --region us-east-1 --bucket showrunner-pulumi-state" in lines
    assert ("            do: aws kms create-alias --region us-east-1 --alias-name alias/showrunner-staging "
            "--target-key-id <the KeyId it printed>") in lines
    # No AMI yet and bootstrap unset: the first up would fail reading the parameter.
    assert "[missing]   golden AMI: /imagebuilder/showrunner/staging/ami-id does not exist yet" in lines
    assert "            do: pulumi config set --stack staging --path showrunner:golden_ami.bootstrap true" in lines
    assert "[ok]        GitHub OIDC provider: this stack creates the account's" in lines
    assert statuses(text)["secrets"] == "ok" and statuses(text)["wheelhouses"] == "ok" and statuses(text)["Docker"] == "ok"


def test_a_ready_stack_is_all_ok_and_the_next_step_is_pulumi_up(tmp_path):
    project = ready_project(tmp_path)
    with StubbedSession() as session:
        machine = Machine(backend="s3://showrunner-pulumi-state", docker=None, wheelhouses=True,
                          cloud=account(session, ami=AMI, providers=[(PROVIDER, {"Environment": "staging"})]),
                          github=Repository(VARIABLES, ["staging", "prod"]))
        text, code = doctor.run(project, "staging", env=machine)
    assert code == 0, text
    assert set(statuses(text).values()) == {"ok"}
    assert f"[ok]        golden AMI: /imagebuilder/showrunner/staging/ami-id holds {AMI}" in text.splitlines()
    assert text.endswith("9 ok.\n\nNext: pulumi up --stack staging\n")


def test_an_account_whose_provider_is_another_stack_s_is_told_to_share_it(tmp_path):
    project = ready_project(tmp_path)
    with StubbedSession() as session:
        machine = Machine(backend="s3://showrunner-pulumi-state", docker=None, wheelhouses=True,
                          cloud=account(session, ami=AMI, providers=[(PROVIDER, {"Environment": "shared"})]))
        text, code = doctor.run(project, "staging", env=machine)
    assert code == 1
    assert f"            the account already has it ({PROVIDER}, stack shared): a second create fails with EntityAlreadyExists" in text.splitlines()
    assert f"            do: pulumi config set --stack staging --path showrunner:delivery.oidc_provider_arn {PROVIDER}" in text.splitlines()


def test_once_the_ami_exists_bootstrap_comes_off_and_the_rest_of_the_first_deploy_follows(tmp_path):
    project = ready_project(tmp_path, **{"showrunner:golden_ami": {"bootstrap": True}})
    with StubbedSession() as session:
        text, code = doctor.run(project, "staging", env=Machine(backend="s3://showrunner-pulumi-state", docker=None, wheelhouses=True,
                                                                cloud=account(session, ami=AMI)))
    assert code == 1
    assert "            do: pulumi config rm --stack staging --path showrunner:golden_ami.bootstrap" in text.splitlines()
    assert text.split("\n\n")[-1].splitlines()[:2] == ["The AMI exists; the rest of the first deploy of staging:",
                                                      "  4. pulumi config rm --stack staging --path showrunner:golden_ami.bootstrap"]


def test_github_variables_missing_or_wrong_are_set_with_their_values(tmp_path):
    project = ready_project(tmp_path)
    variables = {**VARIABLES, "AWS_REGION": "eu-west-1"}
    del variables["AWS_DEPLOY_ROLE_ARN_STAGING"]
    with StubbedSession() as session:
        machine = Machine(backend="s3://showrunner-pulumi-state", docker=None, wheelhouses=True,
                          cloud=account(session, ami=AMI, providers=[(PROVIDER, {"Environment": "staging"})]), github=Repository(variables, ["prod"]))
        text, code = doctor.run(project, "staging", env=machine)
    assert code == 1
    github = text.split(" GitHub: showrunner-tv", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert github == [
        "            AWS_DEPLOY_ROLE_ARN_STAGING is not set",
        "            AWS_REGION is 'eu-west-1', not 'us-east-1'",
        "            the environment staging does not exist (the deploy job runs in it; give prod's required reviewers)",
        "            do: gh variable set --repo showrunner-tv/showrunner AWS_DEPLOY_ROLE_ARN_STAGING --body "
        '"$(pulumi stack output --stack staging delivery_deploy_role_arn)"',
        '            do: gh variable set --repo showrunner-tv/showrunner AWS_REGION --body "us-east-1"',
        "            do: gh api -X PUT repos/showrunner-tv/showrunner/environments/staging",
    ]


def test_what_aws_refuses_to_show_is_unchecked_not_ok(tmp_path):
    project = ready_project(tmp_path)
    with StubbedSession() as session:
        session.stubbers["s3"].add_client_error("head_bucket", "403", "Forbidden", 403)
        session.stubbers["kms"].add_client_error("describe_key", "AccessDeniedException", "", 400)
        session.stubbers["ssm"].add_client_error("get_parameter", "AccessDeniedException", "", 400)
        session.stubbers["iam"].add_client_error("list_open_id_connect_providers", "AccessDenied", "", 403)
        text, _ = doctor.run(project, "staging", env=Machine(backend="s3://showrunner-pulumi-state", docker=None, wheelhouses=True,
                                                             cloud=doctor.AwsAccount(session, "us-east-1")))
    assert {k: v for k, v in statuses(text).items() if k in ("state backend", "secrets provider", "golden AMI", "GitHub OIDC provider")} == {
        "state backend": "unchecked", "secrets provider": "unchecked", "golden AMI": "unchecked", "GitHub OIDC provider": "unchecked"}
    assert "            could not read bucket showrunner-pulumi-state: 403" in text.splitlines()


def test_the_cli_runs_a_subset_and_refuses_an_unknown_check(capsys):
    assert cli.main(["doctor", "--stack", "staging", "--offline", "--check", "config", "--check", "secrets"]) == 1
    out = capsys.readouterr().out
    assert statuses(out) == {"configuration": "ok", "secrets": "missing"} and "The first deploy" not in out
    assert cli.main(["doctor", "--stack", "staging", "--check", "dns"]) == 2
    assert capsys.readouterr().err == ("error: no check dns (checks: config, backend, secrets-provider, secrets, bootstrap, wheelhouse, "
                                       "docker, oidc, github)\n")


def test_the_repository_is_read_through_gh(tmp_path, monkeypatch):
    from tests.fakes import FakeTools

    fakes = FakeTools(tmp_path)
    fakes.answer("gh", "api repos/acme/shop/actions/variables", '{"total_count": 1, "variables": [{"name": "AWS_REGION", "value": "us-east-1"}]}')
    fakes.answer("gh", "api repos/acme/shop/environments", '{"total_count": 1, "environments": [{"name": "prod"}]}')
    for name in ("PATH", "FAKE_TOOLS_STATE", "FAKE_TOOLS_LOG"):
        monkeypatch.setenv(name, fakes.env()[name])
    repository = doctor.GhRepository("acme/shop")
    assert (repository.variables(), repository.environments()) == ({"AWS_REGION": "us-east-1"}, ["prod"])


def test_the_cli_s_check_list_is_doctor_s():
    """cli.py spells the checks out for `doctor --help` (importing doctor there would slow every command)."""
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    check = next(a for a in commands.choices["doctor"]._actions if a.dest == "check")
    assert check.help == "only this check (repeatable): " + ", ".join(doctor.CHECKS)
