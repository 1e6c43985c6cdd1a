"""`showrunner doctor --stack NAME`: what the stack's first `pulumi up` needs, and what to do for each miss.

Each check reports `[ok]`, `[missing]` (with `do:` lines, the commands that fix it, in order) or
`[unchecked]` (what it could not read: the cloud, offline). Offline means no AWS credentials (or
`--offline`): the configuration, the stack file, the wheelhouses and Docker are still checked,
and the committed placeholder secrets are reported by path. With credentials it also reads the
account (boto3): the state bucket, the secrets provider's key, the golden AMI's parameter, the
account's GitHub OIDC provider; with an authenticated `gh`, the repository's variables and
environments. It ends with the first deploy, step by step (bootstrap, the first AMI, the second
up), or the next step. The exit status is 1 when anything is missing, else 0.

What it looks at is an `Environment`, so that the tests can hand it a fresh machine, a stubbed AWS
account and a GitHub repository; `LocalEnvironment` is this machine's.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from showrunner.config import ConfigError, Settings, stackfile
from showrunner.config.accounts import GITHUB_OIDC_HOST, project_deliveries
from showrunner.config.stackfile import StackConfigError
from showrunner_components.golden_ami.builders import ami_parameter_name

OK, MISSING, UNCHECKED = "ok", "missing", "unchecked"
CHECKS = ("config", "backend", "secrets-provider", "secrets", "bootstrap", "wheelhouse", "docker", "oidc", "github")
"""Every check, in the order a first deploy needs them."""
VARIABLES = ("AWS_PREVIEW_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN", "PULUMI_SECRETS_PROVIDER")
"""The variables each stack has (tools/stacks names them NAME_<STACK>), besides AWS_REGION and PULUMI_STATE_BUCKET."""
ROLE_OUTPUTS = {"AWS_PREVIEW_ROLE_ARN": "delivery_preview_role_arn", "AWS_DEPLOY_ROLE_ARN": "delivery_deploy_role_arn"}


# --- what doctor looks at -------------------------------------------------------------------


class Cloud(Protocol):
    """The AWS account, read only."""

    def bucket_exists(self, bucket: str) -> bool: ...
    def key_arn(self, key: str) -> str | None: ...
    def parameter(self, name: str) -> str | None: ...
    def github_providers(self) -> list[tuple[str, dict[str, str]]]: ...


class GitHub(Protocol):
    """The repository's Actions settings, read only."""

    def variables(self) -> dict[str, str]: ...
    def environments(self) -> list[str]: ...


class Environment(Protocol):
    def backend(self) -> str | None:
        """The backend the Pulumi CLI is logged in to (`s3://…`), or None."""

    def docker(self) -> str | None:
        """None when a Docker daemon answers; otherwise why not."""

    def wheelhouse_built(self, directory: Path) -> bool: ...

    def cloud(self, region: str) -> Cloud | None:
        """The account, or None offline."""

    def github(self, repository: str) -> GitHub | None:
        """The repository, or None without an authenticated `gh`."""


def _unless_absent(read, *absent: str):
    """`read()`, or None when AWS answers that the thing is not there (one of the `absent` error codes)."""
    from botocore.exceptions import ClientError

    try:
        return read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in absent:
            return None
        raise


class AwsAccount:
    """`Cloud` through boto3, in one region."""

    def __init__(self, session, region: str):
        self._session, self._region = session, region

    def _client(self, service: str):
        return self._session.client(service, region_name=self._region)

    def bucket_exists(self, bucket: str) -> bool:
        return _unless_absent(lambda: self._client("s3").head_bucket(Bucket=bucket), "404", "NoSuchBucket", "NotFound") is not None

    def key_arn(self, key: str) -> str | None:
        return _unless_absent(lambda: self._client("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"], "NotFoundException")

    def parameter(self, name: str) -> str | None:
        return _unless_absent(lambda: self._client("ssm").get_parameter(Name=name)["Parameter"]["Value"], "ParameterNotFound")

    def github_providers(self) -> list[tuple[str, dict[str, str]]]:
        iam = self._client("iam")
        found = []
        for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            arn = provider["Arn"]
            if arn.endswith(f"/{GITHUB_OIDC_HOST}"):
                tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn).get("Tags", [])
                found.append((arn, {t["Key"]: t["Value"] for t in tags}))
        return found


class GhRepository:
    """`GitHub` through the `gh` CLI."""

    def __init__(self, repository: str):
        self._repository = repository

    def _api(self, path: str) -> Any:
        # One page of 100: these answers are objects, which `gh api --paginate` would print back to back.
        result = subprocess.run(["gh", "api", path], capture_output=True, text=True, check=True, timeout=60)
        return json.loads(result.stdout or "{}")

    def variables(self) -> dict[str, str]:
        page = self._api(f"repos/{self._repository}/actions/variables?per_page=100")
        return {v["name"]: v.get("value", "") for v in page.get("variables", [])}

    def environments(self) -> list[str]:
        return [e["name"] for e in self._api(f"repos/{self._repository}/environments?per_page=100").get("environments", [])]


class LocalEnvironment:
    """This machine: its Pulumi login, Docker daemon and files; AWS and GitHub where credentials exist."""

    def __init__(self, offline: bool = False):
        self._offline = offline

    def backend(self) -> str | None:
        if os.environ.get("PULUMI_BACKEND_URL"):
            return os.environ["PULUMI_BACKEND_URL"]
        home = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi"))
        try:
            return json.loads((home / "credentials.json").read_text()).get("current") or None
        except (OSError, ValueError):
            return None

    def docker(self) -> str | None:
        return docker_ping(os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")

    def wheelhouse_built(self, directory: Path) -> bool:
        return (directory / ".requirements-sha256").is_file() and any(directory.glob("*.whl"))

    def cloud(self, region: str) -> Cloud | None:
        if self._offline:
            return None
        import boto3

        session = boto3.Session(region_name=region)
        return AwsAccount(session, region) if session.get_credentials() is not None else None

    def github(self, repository: str) -> GitHub | None:
        if self._offline or shutil.which("gh") is None:
            return None
        status = subprocess.run(["gh", "auth", "status"], capture_output=True, text=True, check=False, timeout=30)
        return GhRepository(repository) if status.returncode == 0 else None


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def docker_ping(host: str, timeout: float = 5.0) -> str | None:
    """None when the Docker daemon at `host` (`unix:///…` or `tcp://host:port`) answers `/_ping`."""
    if host.startswith("unix://"):
        connection: http.client.HTTPConnection = _UnixConnection(host.removeprefix("unix://"), timeout)
    elif host.startswith("tcp://"):
        connection = http.client.HTTPConnection(host.removeprefix("tcp://"), timeout=timeout)
    else:
        return f"DOCKER_HOST={host} is neither unix:// nor tcp://"
    try:
        connection.request("GET", "/_ping")
        if connection.getresponse().status == 200:
            return None
        return f"the Docker daemon at {host} does not answer /_ping"
    except OSError as error:
        return f"no Docker daemon answers at {host} ({error.strerror or error})"
    finally:
        connection.close()


# --- the stack as doctor reads it -----------------------------------------------------------


@dataclass
class Stack:
    project: str
    name: str
    directory: Path
    file: Path
    document: dict
    """The stack file as YAML (its secrets provider keys, its `secure:` values)."""
    region: str
    settings: Settings | None
    problems: list[str]

    @property
    def file_name(self) -> str:
        return self.file.name

    @property
    def provider_url(self) -> str:
        """The secrets provider this project's workflows expect: a KMS alias per stack."""
        return f"awskms://alias/{self.project}-{self.name}?region={self.region}"


def read_stack(project_dir: Path, stack: str, config_file: Path | None = None) -> Stack:
    from showrunner.engine import load_stack

    project = stackfile.load_project(project_dir)
    path = config_file or project.stack_file(stack)
    document = yaml.safe_load(path.read_text()) if path.is_file() else None
    if not isinstance(document, dict):
        raise StackConfigError(f"{path}: no stack file (a first deploy starts from one: copy another stack's)")
    config = {stackfile.qualify(project.name, k): v for k, v in (document.get("config") or {}).items()}
    region = config.get("aws:region") or project.defaults.get("aws:region") or "us-east-1"
    try:
        settings, problems = load_stack(project_dir, stack, config_file)[3], []
    except ConfigError as error:
        settings, problems = None, error.problems
    return Stack(project.name, stack, project_dir, path, document, str(region), settings, problems)


def secure_values(config: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(config path, ciphertext) of every `secure:` value, `showrunner:secrets.django.SECRET_KEY` style."""
    if isinstance(config, dict):
        if set(config) == {"secure"}:
            yield path, str(config["secure"])
            return
        for key, value in config.items():
            yield from secure_values(value, f"{path}.{key}" if path else str(key))
    elif isinstance(config, list):
        for index, value in enumerate(config):
            yield from secure_values(value, f"{path}[{index}]")


def is_placeholder(ciphertext: str) -> bool:
    """A committed stand-in, not a secret: not in Pulumi's `v1:<nonce>:<ciphertext>` form, or its
    ciphertext is readable text (AES-GCM output, with its 16-byte tag, is never all printable)."""
    version, _, rest = ciphertext.partition(":")
    _, _, sealed = rest.partition(":")
    if version != "v1" or not sealed:
        return True
    try:
        data = base64.b64decode(sealed, validate=True)
    except ValueError:
        return True
    return all(32 <= byte < 127 for byte in data)


# --- the checks -----------------------------------------------------------------------------


@dataclass
class Result:
    check: str
    status: str
    title: str
    notes: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    value: str | None = None
    """What the check read that the plan needs (bootstrap: the golden AMI's id)."""


def _status(missing: bool, unchecked: bool) -> str:
    return MISSING if missing else UNCHECKED if unchecked else OK


def _cloud_read(result: Result, read, what: str):
    """`read()`, or None with a note (and the result unchecked) when AWS refuses it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return read()
    except (ClientError, BotoCoreError) as error:
        code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else type(error).__name__
        result.notes.append(f"could not read {what}: {code}")
        result.status = UNCHECKED if result.status == OK else result.status
        return None


def check_config(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    files = f"Pulumi.yaml and {stack.file_name}"
    if not stack.problems:
        return Result("config", OK, f"configuration: {files} validate")
    return Result("config", MISSING, f"configuration: {files} do not validate", list(stack.problems),
                  [f"fix the lines above, then: showrunner preview --stack {stack.name}"])


def check_backend(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    delivery = stack.settings.delivery if stack.settings else None
    current = env.backend()
    if delivery is None:
        if current:
            return Result("backend", OK, f"state backend: {current} (the Pulumi CLI's login)")
        return Result("backend", MISSING, "state backend: none", ["the Pulumi CLI is logged in to no backend"],
                      ["pulumi login s3://<bucket>   (or Pulumi Cloud: pulumi login)"])
    bucket = delivery.state_bucket
    url = f"s3://{bucket}"
    where = "" if stack.region == "us-east-1" else f" --create-bucket-configuration LocationConstraint={stack.region}"
    create = [
        f"aws s3api create-bucket --region {stack.region} --bucket {bucket}{where}",
        f"aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled",
        f"aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
    ]
    result = Result("backend", OK, f"state backend: {url} (showrunner:delivery.state_bucket)")
    if cloud is None:
        result.status = UNCHECKED
        result.notes.append(f"offline: whether the bucket {bucket} exists is not checked; if it does not:")
        result.notes += [f"  {command}" for command in create]
    elif _cloud_read(result, lambda: cloud.bucket_exists(bucket), f"bucket {bucket}") is False:
        result.status = MISSING
        result.notes.append(f"the bucket {bucket} does not exist")
        result.fixes += create
    if current != url:
        result.status = MISSING
        result.notes.append(f"the Pulumi CLI is logged in to {current}" if current else "the Pulumi CLI is logged in to no backend")
        result.fixes.append(f"pulumi login {url}")
    return result


def check_secrets_provider(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    document = stack.document
    provider = document.get("secretsprovider")
    wanted = provider if isinstance(provider, str) and provider.startswith("awskms://") else stack.provider_url
    key = wanted.removeprefix("awskms://").split("?", 1)[0]
    result = Result("secrets-provider", OK, f"secrets provider: {wanted}")
    create = [
        f'aws kms create-key --region {stack.region} --description "{stack.project} {stack.name}: Pulumi secrets provider" '
        "--query KeyMetadata.KeyId --output text",
        f"aws kms create-alias --region {stack.region} --alias-name {key} --target-key-id <the KeyId it printed>",
    ]
    if cloud is None:
        result.status = UNCHECKED
        result.notes.append(f"offline: whether the KMS key {key} exists is not checked; if it does not:")
        result.notes += [f"  {command}" for command in create]
    elif _cloud_read(result, lambda: cloud.key_arn(key), f"KMS key {key}") is None and result.status == OK:
        result.status = MISSING
        result.notes.append(f"the KMS key {key} does not exist")
        result.fixes += create
    if "encryptionsalt" in document and not provider:
        result.status = MISSING
        result.notes.append(f"{stack.file_name} uses a passphrase, which the workflows do not have")
        result.fixes.append(f'pulumi stack change-secrets-provider --stack {stack.name} "{wanted}"')
    elif not (isinstance(provider, str) and provider.startswith("awskms://") and document.get("encryptedkey")):
        result.status = MISSING
        result.notes.append(f"{stack.file_name} names no secrets provider: the stack was never initialised with one "
                            f"(a stack that exists takes one with pulumi stack change-secrets-provider)")
        result.fixes.append(f'pulumi stack init {stack.name} --secrets-provider "{wanted}"')
    delivery = stack.settings.delivery if stack.settings else None
    if delivery is not None and delivery.secrets_provider_key_arn is None:
        result.status = MISSING
        result.notes.append("showrunner:delivery.secrets_provider_key_arn is unset: the CI roles cannot decrypt the stack's secrets")
        result.fixes.append(
            f"pulumi config set --stack {stack.name} --path showrunner:delivery.secrets_provider_key_arn "
            f'"$(aws kms describe-key --region {stack.region} --key-id {key} --query KeyMetadata.Arn --output text)"'
        )
    return result


def check_secrets(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    config = {stackfile.qualify(stack.project, k): v for k, v in (stack.document.get("config") or {}).items()}
    values = list(secure_values(config))
    placeholders = [path for path, ciphertext in values if is_placeholder(ciphertext)]
    if not placeholders:
        return Result("secrets", OK, f"secrets: {len(values)} set in {stack.file_name}, none a committed placeholder")
    result = Result("secrets", MISSING, f"secrets: {len(placeholders)} of {len(values)} in {stack.file_name} are committed placeholders")
    for path in placeholders:
        result.notes.append(f"{stack.file_name}: {path} is a placeholder, not a secret")
        value = '"$(openssl rand -base64 48)"' if path.endswith("SECRET_KEY") else "<value>"
        result.fixes.append(f"pulumi config set --stack {stack.name} --secret --path '{path}' {value}")
    return result


def check_bootstrap(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    if stack.settings is None:
        return Result("bootstrap", UNCHECKED, "golden AMI: needs a valid configuration")
    name = ami_parameter_name(stack.name, stack.project)
    bootstrap = stack.settings.golden_ami.bootstrap
    flag = f"pulumi config set --stack {stack.name} --path showrunner:golden_ami.bootstrap true"
    if cloud is None:
        if bootstrap:
            return Result("bootstrap", OK, "golden AMI: bootstrap is set: the first up creates the pipeline and no fleets")
        return Result("bootstrap", UNCHECKED, f"golden AMI: {name} is not read offline",
                      ["before the pipeline's first AMI (a stack's first deploy), the program cannot read it: set bootstrap"], [flag])
    result = Result("bootstrap", OK, f"golden AMI: {name}")
    ami = _cloud_read(result, lambda: cloud.parameter(name), name)
    if result.status != OK:
        return result
    if ami is None and not bootstrap:
        return Result("bootstrap", MISSING, f"golden AMI: {name} does not exist yet",
                      ["the pipeline has made no AMI, so the first up must not create fleets"], [flag])
    if ami is None:
        result.title = f"golden AMI: {name} does not exist yet; bootstrap is set: the first up creates no fleets"
    elif bootstrap:
        return Result("bootstrap", MISSING, f"golden AMI: {name} holds {ami}, and bootstrap is still set",
                      ["the fleets wait for bootstrap to be removed"],
                      [f"pulumi config rm --stack {stack.name} --path showrunner:golden_ami.bootstrap"], value=ami)
    else:
        result.title = f"golden AMI: {name} holds {ami}"
    result.value = ami
    return result


def _built_images(stack: Stack) -> list[tuple[str, Path]]:
    """(name, context folder) of each image the stack builds (a `release` is not built)."""
    if stack.settings is None:
        return []
    return [(name, stack.directory / "images" / image.context_folder(name)) for name, image in stack.settings.images.items() if image.release is None]


def check_wheelhouse(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    if stack.settings is None:
        return Result("wheelhouse", UNCHECKED, "wheelhouses: need a valid configuration")
    needed = [context / "wheelhouse" for _, context in _built_images(stack)
              if (context / "Dockerfile").is_file() and "wheelhouse/" in (context / "Dockerfile").read_text()]
    if not needed:
        return Result("wheelhouse", OK, "wheelhouses: no image the stack builds copies one")
    missing = [d for d in needed if not env.wheelhouse_built(d)]
    folders = ", ".join(str(d.relative_to(stack.directory)) for d in needed)
    if not missing:
        return Result("wheelhouse", OK, f"wheelhouses: {folders} built")
    return Result("wheelhouse", MISSING, f"wheelhouses: {folders} (the Docker builds copy them)",
                  [f"{d.relative_to(stack.directory)} is not built (it is git-ignored: each machine builds it)" for d in missing],
                  [f"make deploy-prepare STACK={stack.name}"])


def check_docker(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    if stack.settings is None:
        return Result("docker", UNCHECKED, "Docker: needs a valid configuration")
    built = [name for name, _ in _built_images(stack)]
    if not built:
        return Result("docker", OK, "Docker: the stack builds no image")
    problem = env.docker()
    if problem is None:
        return Result("docker", OK, f"Docker: a daemon answers (the stack builds {', '.join(built)})")
    return Result("docker", MISSING, f"Docker: the stack builds {', '.join(built)}, and pulumi up and preview build them",
                  [problem], ["start a Docker daemon (as root: tools/docker-up), or point DOCKER_HOST at one",
                              f"make deploy-prepare STACK={stack.name}"])


def check_oidc(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    delivery = stack.settings.delivery if stack.settings else None
    if stack.settings is None:
        return Result("oidc", UNCHECKED, "GitHub OIDC provider: needs a valid configuration")
    if delivery is None:
        return Result("oidc", OK, "GitHub OIDC provider: none (no showrunner:delivery, so no CI roles)")
    named = delivery.oidc_provider_arn
    title = f"GitHub OIDC provider: shares {named}" if named else "GitHub OIDC provider: this stack creates the account's"
    if cloud is None:
        return Result("oidc", UNCHECKED, title, ["offline: the account's providers are not read"])
    result = Result("oidc", OK, title)
    providers = _cloud_read(result, cloud.github_providers, "the account's OIDC providers")
    if providers is None:
        return result
    arns = {arn: tags for arn, tags in providers}
    if named and named not in arns:
        owners = [d.stack for d in project_deliveries(stack.directory) if d.named_provider is None and d.stack != stack.name]
        first = f"deploy {owners[0]} first (it creates it)" if owners else "deploy the stack that creates it first"
        return Result("oidc", MISSING, title, [f"{named} does not exist in the account"], [first])
    if not named and arns:
        [(arn, tags)] = list(arns.items())[:1]
        if tags.get("Environment") != stack.name:
            owner = tags.get("Environment")
            return Result("oidc", MISSING, title,
                          [f"the account already has it ({arn}{f', stack {owner}' if owner else ''}): a second create fails with EntityAlreadyExists"],
                          [f"pulumi config set --stack {stack.name} --path showrunner:delivery.oidc_provider_arn {arn}"])
        result.title = f"GitHub OIDC provider: {arn}, this stack's"
    return result


def expected_variables(stack: Stack) -> dict[str, str]:
    """The repository variables the workflows read for this stack, and how to set each."""
    delivery = stack.settings.delivery
    suffix = stack.name.upper().replace("-", "_")
    provider = stack.document.get("secretsprovider") or stack.provider_url
    values = {"AWS_REGION": stack.region, "PULUMI_STATE_BUCKET": delivery.state_bucket, f"PULUMI_SECRETS_PROVIDER_{suffix}": provider}
    for variable, output in ROLE_OUTPUTS.items():
        values[f"{variable}_{suffix}"] = f'"$(pulumi stack output --stack {stack.name} {output})"'
    return dict(sorted(values.items()))


def check_github(stack: Stack, env: Environment, cloud: Cloud | None) -> Result:
    if stack.settings is None:
        return Result("github", UNCHECKED, "GitHub variables: need a valid configuration")
    delivery = stack.settings.delivery
    if delivery is None:
        return Result("github", OK, "GitHub variables: none (no showrunner:delivery: the workflows' jobs for this stack fail, naming them)")
    repository = delivery.github_repository
    environment = delivery.deploy_environment or stack.name
    expected = expected_variables(stack)
    title = f"GitHub: {repository}'s variables and the {environment} environment (after the first up: the roles are its outputs)"

    def setting(name: str, value: str) -> str:
        quoted = value if value.startswith('"') else '"' + value + '"'
        return f"gh variable set --repo {repository} {name} --body {quoted}"

    github = env.github(repository)
    if github is None:
        return Result("github", UNCHECKED, title, ["not read: no authenticated gh"],
                      [setting(n, v) for n, v in expected.items()] + [f"gh api -X PUT repos/{repository}/environments/{environment}"])
    try:
        variables, environments = github.variables(), github.environments()
    except (subprocess.SubprocessError, OSError, ValueError) as error:
        return Result("github", UNCHECKED, title, [f"could not read {repository}: {error}"])
    result = Result("github", OK, title)
    for name, value in expected.items():
        if not variables.get(name):
            result.notes.append(f"{name} is not set")
            result.fixes.append(setting(name, value))
        elif not value.startswith('"$(') and variables[name] != value:
            result.notes.append(f"{name} is {variables[name]!r}, not {value!r}")
            result.fixes.append(setting(name, value))
    if environment not in environments:
        result.notes.append(f"the environment {environment} does not exist (the deploy job runs in it; give prod's required reviewers)")
        result.fixes.append(f"gh api -X PUT repos/{repository}/environments/{environment}")
    result.status = _status(bool(result.fixes), False)
    return result


RUNNERS = {
    "config": check_config, "backend": check_backend, "secrets-provider": check_secrets_provider, "secrets": check_secrets,
    "bootstrap": check_bootstrap, "wheelhouse": check_wheelhouse, "docker": check_docker, "oidc": check_oidc, "github": check_github,
}


# --- the report -----------------------------------------------------------------------------


@dataclass
class Report:
    stack: Stack
    online: bool
    results: list[Result]

    @property
    def missing(self) -> list[Result]:
        return [r for r in self.results if r.status == MISSING]

    @property
    def ami(self) -> str | None:
        """The golden AMI's id when the bootstrap check read one; None when absent or not read."""
        return next((r.value for r in self.results if r.check == "bootstrap"), None)


def diagnose(stack: Stack, env: Environment, checks: tuple[str, ...] = CHECKS) -> Report:
    cloud = env.cloud(stack.region)
    return Report(stack, cloud is not None, [RUNNERS[name](stack, env, cloud) for name in checks])


_MARK = {OK: "[ok]", MISSING: "[missing]", UNCHECKED: "[unchecked]"}


def _plan(report: Report) -> list[str]:
    stack, name = report.stack, report.stack.name
    settings = stack.settings
    if settings is None:
        return []
    parameter = ami_parameter_name(name, stack.project)
    up = f"pulumi up --stack {name}"
    source = settings.delivery.promote_from if settings.delivery else None
    if source is not None:
        up = (f"make release-manifest STACK={source} && make promote STACK={name} MANIFEST=out/review/release.json && {up}   "
              f"(it runs what {source} runs)")
    if report.ami is not None and not settings.golden_ami.bootstrap:
        return [f"Next: {up}"]
    later = [
        f"  4. pulumi config rm --stack {name} --path showrunner:golden_ami.bootstrap",
        f"  5. {up}",
        "       the fleets, on that AMI",
        "  6. set the GitHub variables (the github check above); from then on the workflows preview, check and deploy it",
    ]
    if report.ami is not None:
        return [f"The AMI exists; the rest of the first deploy of {name}:", *later]
    return [
        f"The first deploy of {name}, once nothing above is missing:",
        f"  1. {up}",
        "       bootstrap: the image pipeline, the repositories and images, the stores and roles; no fleets yet",
        f"  2. aws imagebuilder start-image-pipeline-execution --region {stack.region} "
        f'--image-pipeline-arn "$(pulumi stack output --stack {name} golden_ami_pipeline_arn)"',
        f"  3. aws ssm get-parameter --region {stack.region} --name {parameter} --query Parameter.Value --output text",
        "       until it prints an AMI id: the first build takes most of an hour",
        *later,
    ]


def render(report: Report, plan: bool = True) -> str:
    stack = report.stack
    mode = "online: this machine, the AWS account, and GitHub where gh can read it" if report.online else (
        "offline: what needs the AWS account or GitHub is unchecked")
    lines = [f"showrunner doctor: stack {stack.name}, {mode}", ""]
    for result in report.results:
        lines.append(f"{_MARK[result.status]:<12}{result.title}")
        lines += [f"{'':12}{note}" for note in result.notes]
        lines += [f"{'':12}do: {fix}" for fix in result.fixes]
    counts = {status: sum(r.status == status for r in report.results) for status in (OK, MISSING, UNCHECKED)}
    lines += ["", f"{counts[MISSING]} missing, {counts[UNCHECKED]} unchecked, {counts[OK]} ok."]
    steps = _plan(report) if plan else []
    if steps:
        lines += ["", *steps]
    return "\n".join(lines) + "\n"


def run(project_dir: Path, stack_name: str, *, env: Environment | None = None, checks: tuple[str, ...] = CHECKS,
        config_file: Path | None = None) -> tuple[str, int]:
    """The rendered report and the exit status (1 when anything is missing)."""
    unknown = [c for c in checks if c not in RUNNERS]
    if unknown:
        raise ValueError(f"no check {', '.join(unknown)} (checks: {', '.join(CHECKS)})")
    report = diagnose(read_stack(project_dir, stack_name, config_file), env or LocalEnvironment(), checks)
    return render(report, plan=checks == CHECKS), 1 if report.missing else 0

