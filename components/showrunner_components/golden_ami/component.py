"""The golden AMI: EC2 Image Builder on a Debian 12 parent, from component documents in the repository.

2015 baked hosts with Packer and a chef-client provisioner. Here the same job is five Image Builder
component documents (`images/golden/components/*.yml`, `ExecuteBash` steps in `build`, `validate`
and `test` phases) that install the Docker engine, chrony, cloud-init, the SSM agent, the ECR
credential helper, the host scripts and the housekeeping timers.

The documents are the source: their `showrunner:install` and `showrunner:run` lines are expanded
here into heredocs that carry the files under `images/golden/`, so the rendered text is
self-contained. That rendered text is what Image Builder receives (the `Component`'s `data`) and
what `tools/run-component` executes locally, so both run exactly the same steps.

Pure builders (rendering, validation, content-derived versions, the IAM and user-data documents)
are separate from `GoldenAmi`, which only turns their results into resources.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws
import yaml

from showrunner.config.models import GoldenAmi as GoldenAmiSettings
from showrunner_components.aws import ROOT_DEVICE, dump_yaml, ec2_trust_policy

GOLDEN_DIR = Path(__file__).resolve().parents[3] / "images" / "golden"
DOCUMENTS = ("docker-engine", "time-sync", "host-access", "host-scripts", "housekeeping")
"""Recipe order: the engine first (the host scripts' timers call it), the host scripts last."""

PHASES = ("build", "validate", "test")
KNOWN_ACTIONS = frozenset(
    {
        "AppendFile", "Assert", "CopyFile", "CopyFolder", "CreateFile", "CreateFolder", "CreateSymlink",
        "DeleteFile", "DeleteFolder", "ExecuteBash", "ExecuteBinary", "ExecuteDocument", "ExecutePowerShell",
        "InstallMSI", "ListFiles", "MoveFile", "MoveFolder", "ReadFile", "Reboot", "S3Download", "S3Upload",
        "SetFileEncoding", "SetFileOwner", "SetFolderOwner", "SetRegistry", "UninstallMSI", "UpdateOS", "WebDownload",
    }
)
"""The action modules of AWS Task Orchestrator and Executor (the runner behind Image Builder)."""

MAX_DATA_CHARS = 16000
"""CreateComponent refuses inline `data` longer than this."""

LOG_PREFIX = "imagebuilder"
BUILDER_POLICIES = {
    "imagebuilder": "arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder",
    "ssm": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
}

_STEP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,127}$")
_VARIABLE = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
_DIRECTIVE = re.compile(r"^showrunner:(install|run)\s+(\S+)(?:\s+(\S+))?$")
_MODE = re.compile(r"^0[0-7]{3}$")
_TERMINATOR = "SHOWRUNNER_FILE_END"
_STEP_KEYS = {"name", "action", "inputs", "timeoutSeconds", "onFailure", "maxAttempts", "if", "loop"}
_TOP_KEYS = {"name", "description", "schemaVersion", "parameters", "constants", "phases"}


class DocumentError(Exception):
    """A component document is not valid; one line per problem, each naming the file and place."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Document:
    key: str
    """The file name without `.yml`: `docker-engine`."""
    text: str
    """The rendered, self-contained document: what Image Builder and our runner execute."""
    content: dict
    version: str

    @property
    def name(self) -> str:
        return self.content["name"]

    @property
    def description(self) -> str:
        return self.content.get("description", "")

    @property
    def parameters(self) -> list[str]:
        return [next(iter(p)) for p in self.content.get("parameters") or []]


# --- rendering ---------------------------------------------------------------------------------


def _embedded_file(golden_dir: Path, relative: str, where: str) -> str:
    path = (golden_dir / relative).resolve()
    if golden_dir.resolve() not in path.parents or not path.is_file():
        raise DocumentError([f"{where}: {relative} is not a file under {golden_dir}"])
    text = path.read_text(encoding="utf-8")
    problems = []
    if not text.endswith("\n"):
        problems.append(f"{where}: {relative} must end with a newline")
    if _TERMINATOR in text.splitlines():
        problems.append(f"{where}: {relative} contains the heredoc terminator {_TERMINATOR}")
    if "{{" in text:
        problems.append(f"{where}: {relative} contains '{{{{', which Image Builder would read as a variable")
    if problems:
        raise DocumentError(problems)
    return text


def expand_directive(command: str, golden_dir: Path, where: str) -> str:
    """`showrunner:install REL MODE` → write `/REL` from files/REL; `showrunner:run REL` → run it with bash."""
    match = _DIRECTIVE.match(command.strip())
    if not match:
        return command
    verb, relative, mode = match.groups()
    if verb == "install":
        if mode is None or not _MODE.match(mode):
            raise DocumentError([f'{where}: "{command}" needs an octal mode like 0644: showrunner:install REL MODE'])
        text = _embedded_file(golden_dir / "files", relative, where)
        target = "/" + relative
        return (
            f"install -d -m 0755 {str(Path(target).parent)}\n"
            f"cat > {target} <<'{_TERMINATOR}'\n{text}{_TERMINATOR}\n"
            f"chmod {mode} {target}"
        )
    if mode is not None:
        raise DocumentError([f'{where}: "{command}" takes one path: showrunner:run REL'])
    text = _embedded_file(golden_dir, relative, where)
    return f"bash -euo pipefail <<'{_TERMINATOR}'\n{text}{_TERMINATOR}"


def render_document(source: str, golden_dir: Path = GOLDEN_DIR, where: str = "document") -> str:
    """The document with every directive expanded, as YAML text (deterministic for one input)."""
    content = parse_document(source, where)
    for p_index, phase in enumerate(content.get("phases") or []):
        for s_index, step in enumerate(phase.get("steps") or [] if isinstance(phase, dict) else []):
            commands = (step.get("inputs") or {}).get("commands") if isinstance(step, dict) else None
            if isinstance(commands, list):
                step_where = f"{where}: phases[{p_index}].steps[{s_index}]"
                step["inputs"]["commands"] = [
                    expand_directive(c, golden_dir, step_where) if isinstance(c, str) else c for c in commands
                ]
    return dump_yaml(content, width=1000, allow_unicode=True)


def parse_document(source: str, where: str) -> dict:
    try:
        content = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark else ""
        raise DocumentError([f"{where}: not valid YAML{at}: {getattr(error, 'problem', error)}"]) from None
    if not isinstance(content, dict):
        raise DocumentError([f"{where}: a component document is a YAML map, got {type(content).__name__}"])
    return content


# --- validation --------------------------------------------------------------------------------


def document_problems(content: dict, where: str) -> list[str]:
    """Everything that keeps Image Builder (or our runner) from accepting the document."""
    problems = [f"{where}: {key}: is not a known key" for key in content if key not in _TOP_KEYS]
    if not isinstance(content.get("name"), str) or not content["name"]:
        problems.append(f"{where}: name: is required")
    if str(content.get("schemaVersion")) != "1.0":
        problems.append(f"{where}: schemaVersion: must be 1.0, got {content.get('schemaVersion')!r}")

    declared = set()
    for index, parameter in enumerate(content.get("parameters") or []):
        if not (isinstance(parameter, dict) and len(parameter) == 1):
            problems.append(f"{where}: parameters[{index}]: must be a map of one name to its settings")
            continue
        (param_name, spec), = parameter.items()
        declared.add(param_name)
        if not isinstance(spec, dict) or spec.get("type") != "string":
            problems.append(f"{where}: parameters[{index}].{param_name}: needs type: string (the only parameter type)")

    phases = content.get("phases")
    if not isinstance(phases, list) or not phases:
        return problems + [f"{where}: phases: needs at least one phase"]
    phase_names: set[str] = set()
    step_names: set[str] = set()
    for p_index, phase in enumerate(phases):
        at = f"{where}: phases[{p_index}]"
        if not isinstance(phase, dict):
            problems.append(f"{at}: must be a map with name and steps")
            continue
        phase_name = phase.get("name")
        if phase_name not in PHASES:
            problems.append(f"{at}.name: {phase_name!r} is not one of {', '.join(PHASES)}")
        elif phase_name in phase_names:
            problems.append(f"{at}.name: phase {phase_name} appears twice")
        phase_names.add(phase_name)
        steps = phase.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(f"{at}.steps: needs at least one step")
            continue
        for s_index, step in enumerate(steps):
            problems.extend(_step_problems(step, f"{at}.steps[{s_index}]", step_names, declared))
    return problems


def _step_problems(step: Any, at: str, seen: set[str], declared: set[str]) -> list[str]:
    if not isinstance(step, dict):
        return [f"{at}: must be a map with name, action and inputs"]
    problems = [f"{at}.{key}: is not a known step key" for key in step if key not in _STEP_KEYS]
    step_name = step.get("name")
    if not isinstance(step_name, str) or not _STEP_NAME.match(step_name):
        problems.append(f"{at}.name: {step_name!r} is not a step name (letters and digits, starting with a letter)")
    elif step_name in seen:
        problems.append(f"{at}.name: step name {step_name} is not unique in the document")
    else:
        seen.add(step_name)
    action = step.get("action")
    if action not in KNOWN_ACTIONS:
        problems.append(f"{at}.action: {action!r} is not an Image Builder action module")
    if step.get("onFailure", "Abort") not in ("Abort", "Continue", "Ignore"):
        problems.append(f"{at}.onFailure: {step['onFailure']!r} is not Abort, Continue or Ignore")
    if action == "ExecuteBash":
        commands = (step.get("inputs") or {}).get("commands")
        if not isinstance(commands, list) or not commands or not all(isinstance(c, str) for c in commands):
            problems.append(f"{at}.inputs.commands: ExecuteBash needs a list of command strings")
        else:
            for variable in sorted({v for c in commands for v in _VARIABLE.findall(c)}):
                if variable not in declared:
                    problems.append(f"{at}.inputs.commands: {{{{ {variable} }}}} is not a declared parameter")
    return problems


def component_version(text: str) -> str:
    """`1.0.N` from the rendered text: any edit gives a new version (components are immutable).

    N is 28 bits of the text's SHA-256, below Image Builder's 2^30 limit per version field. Versions
    identify content; they are not ordered by time.
    """
    return f"1.0.{int(hashlib.sha256(text.encode()).hexdigest()[:7], 16)}"


def load_document(key: str, golden_dir: Path = GOLDEN_DIR) -> Document:
    path = golden_dir / "components" / f"{key}.yml"
    where = str(path.relative_to(golden_dir.parents[1])) if golden_dir.parents[1] in path.parents else str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DocumentError([f"{where}: cannot be read: {error.strerror}"]) from None
    problems = document_problems(parse_document(source, where), where)
    if problems:
        raise DocumentError(problems)
    text = render_document(source, golden_dir, where)
    if len(text) > MAX_DATA_CHARS:
        raise DocumentError([f"{where}: rendered to {len(text)} characters, over Image Builder's {MAX_DATA_CHARS}; split the document"])
    return Document(key=key, text=text, content=yaml.safe_load(text), version=component_version(text))


def load_documents(golden_dir: Path = GOLDEN_DIR, keys: Sequence[str] = DOCUMENTS) -> list[Document]:
    documents, problems = [], []
    for key in keys:
        try:
            documents.append(load_document(key, golden_dir))
        except DocumentError as error:
            problems.extend(error.problems)
    if problems:
        raise DocumentError(problems)
    return documents


# --- the other pure builders ---------------------------------------------------------------------


def ami_parameter_name(stack: str) -> str:
    """Where the distribution writes the newest AMI id.

    Under `/imagebuilder/`: Image Builder's service-linked role (AWSServiceRoleForImageBuilder)
    may `ssm:PutParameter` only on `parameter/imagebuilder/*`, so a parameter anywhere else is never
    written and fleets never see a new AMI. It is also outside `/showrunner/<stack>/`, which holds
    one folder of secrets per service, so no service name can collide with it."""
    return f"/imagebuilder/showrunner/{stack}/ami-id"


def ecr_registry(account_id: str, region: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def build_user_data(golden_dir: Path = GOLDEN_DIR) -> str:
    """Base64 user data of the build instance: Image Builder drives it through the SSM agent, which
    Debian's AMI lacks, so the agent is installed before any component runs."""
    script = (golden_dir / "scripts" / "install-ssm-agent").read_text(encoding="utf-8")
    return base64.b64encode(f"#!/bin/bash\nset -euo pipefail\n{script}".encode()).decode()


def recipe_version(
    component_versions: Sequence[str],
    parent_image: str,
    root_volume_gb: int,
    user_data: str,
    parameters: dict[str, str],
) -> str:
    """`1.0.N` from everything a recipe is made of: a recipe is immutable, so any change is a new version."""
    blob = json.dumps([list(component_versions), parent_image, root_volume_gb, user_data, parameters], sort_keys=True)
    return component_version(blob)


def log_bucket_name(stack: str, account_id: str) -> str:
    """Bucket names are global: the account id keeps two accounts' stacks of one name apart."""
    return f"showrunner-{stack}-imagebuilder-logs-{account_id}"


def log_write_policy(bucket: str, prefix: str = LOG_PREFIX) -> dict:
    """The build instance may write its logs under the log prefix, and nothing else in S3."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteImageBuilderLogs",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/{prefix}/*"],
            }
        ],
    }


def ami_name(stack: str) -> str:
    return f"showrunner-{stack}-golden-{{{{ imagebuilder:buildDate }}}}"


# --- the component -------------------------------------------------------------------------------


@dataclass
class GoldenAmiArgs:
    stack: str
    settings: GoldenAmiSettings
    tags: dict[str, str] = field(default_factory=dict)
    subnet_id: pulumi.Input[str] | None = None
    """Default: Image Builder picks a subnet of the default VPC. Give a private subnet with a NAT route."""
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Default: the VPC's default security group. The build needs outbound HTTPS only."""
    golden_dir: Path = GOLDEN_DIR


class GoldenAmi(pulumi.ComponentResource):
    """Components, recipe, infrastructure and distribution configuration, and a weekly pipeline.

    `ami_id` is read from the SSM parameter the distribution writes; it is `None` while
    `settings.bootstrap` is true (the first deploy, before the pipeline has produced an AMI; see
    images/golden/README.md).
    """

    ami_id: pulumi.Output[str] | None
    ami_parameter_name: pulumi.Output[str]
    pipeline_arn: pulumi.Output[str]

    def __init__(self, name: str, args: GoldenAmiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("showrunner:golden_ami:GoldenAmi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings, stack = args.settings, args.stack
        prefix = f"showrunner-{stack}"
        documents = load_documents(args.golden_dir)

        components = [
            aws.imagebuilder.Component(
                f"{name}-{document.key}",
                name=f"{prefix}-{document.key}",
                platform="Linux",
                version=document.version,
                data=document.text,
                description=document.description,
                tags=args.tags,
                opts=child,
            )
            for document in documents
        ]

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        bucket_name = identity.account_id.apply(lambda account: log_bucket_name(stack, account))
        logs = aws.s3.Bucket(f"{name}-logs", bucket=bucket_name, tags=args.tags, opts=child)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-logs-public-access",
            bucket=logs.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs-expiry",
            bucket=logs.id,
            rules=[
                {
                    "id": "expire-build-logs",
                    "status": "Enabled",
                    "filter": {"prefix": f"{LOG_PREFIX}/"},
                    "expiration": {"days": settings.log_retention_days},
                }
            ],
            opts=child,
        )
        notifications = aws.sns.Topic(f"{name}-notifications", name=f"{prefix}-golden-ami", tags=args.tags, opts=child)

        role = aws.iam.Role(
            f"{name}-build-role",
            name=f"{prefix}-imagebuilder-build",
            assume_role_policy=json.dumps(ec2_trust_policy()),
            tags=args.tags,
            opts=child,
        )
        for policy_key, policy_arn in BUILDER_POLICIES.items():
            aws.iam.RolePolicyAttachment(f"{name}-build-{policy_key}", role=role.name, policy_arn=policy_arn, opts=child)
        aws.iam.RolePolicy(
            f"{name}-build-logs",
            role=role.id,
            policy=bucket_name.apply(lambda bucket: json.dumps(log_write_policy(bucket))),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-build-profile", name=f"{prefix}-imagebuilder", role=role.name, tags=args.tags, opts=child
        )

        infrastructure = aws.imagebuilder.InfrastructureConfiguration(
            f"{name}-infrastructure",
            name=f"{prefix}-golden-ami",
            instance_profile_name=profile.name,
            instance_types=settings.build_instance_types,
            terminate_instance_on_failure=True,
            instance_metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 2},
            logging={"s3_logs": {"s3_bucket_name": logs.id, "s3_key_prefix": LOG_PREFIX}},
            sns_topic_arn=notifications.arn,
            subnet_id=args.subnet_id,
            security_group_ids=args.security_group_ids,
            resource_tags=args.tags,
            tags=args.tags,
            opts=child,
        )

        registry = pulumi.Output.all(identity.account_id, region).apply(lambda ar: ecr_registry(*ar))
        parent_image = f"ssm:{settings.parent_image_parameter}"
        user_data = build_user_data(args.golden_dir)
        versions = [document.version for document in documents]

        recipe = aws.imagebuilder.ImageRecipe(
            f"{name}-recipe",
            name=f"{prefix}-golden",
            parent_image=parent_image,
            version=registry.apply(
                lambda host: recipe_version(versions, parent_image, settings.root_volume_gb, user_data, {"EcrRegistry": host})
            ),
            components=[
                {
                    "component_arn": component.arn,
                    "parameters": registry.apply(
                        lambda host, doc=document: [{"name": "EcrRegistry", "value": host}] if "EcrRegistry" in doc.parameters else []
                    ),
                }
                for component, document in zip(components, documents)
            ],
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_size": settings.root_volume_gb,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            systems_manager_agent={"uninstall_after_build": False},
            user_data_base64=user_data,
            working_directory="/var/tmp",
            tags=args.tags,
            # A changed component replaces the recipe under a new version; the pipeline then moves to
            # it in place before the old recipe is deleted (no ResourceDependencyException).
            opts=pulumi.ResourceOptions(parent=self, replace_with=components),
        )

        parameter_name = ami_parameter_name(stack)
        distribution = aws.imagebuilder.DistributionConfiguration(
            f"{name}-distribution",
            name=f"{prefix}-golden-ami",
            distributions=[
                {
                    "region": region,
                    "ami_distribution_configuration": {
                        "name": ami_name(stack),
                        "description": f"showrunner {stack} fleet host (Debian 12, Docker, chrony, SSM agent)",
                        "ami_tags": {**args.tags, "Role": "golden-ami"},
                    },
                    "ssm_parameter_configurations": [{"parameter_name": parameter_name, "data_type": "aws:ec2:image"}],
                }
            ],
            tags=args.tags,
            opts=child,
        )

        pipeline = aws.imagebuilder.ImagePipeline(
            f"{name}-pipeline",
            name=f"{prefix}-golden-ami",
            image_recipe_arn=recipe.arn,
            infrastructure_configuration_arn=infrastructure.arn,
            distribution_configuration_arn=distribution.arn,
            schedule={
                "schedule_expression": settings.schedule,
                # Weekly even when the parent did not change: the build takes Debian's security updates.
                "pipeline_execution_start_condition": "EXPRESSION_MATCH_ONLY",
            },
            image_tests_configuration={"image_tests_enabled": True, "timeout_minutes": 90},
            enhanced_image_metadata_enabled=True,
            status="ENABLED",
            tags=args.tags,
            opts=child,
        )

        self.pipeline_arn = pipeline.arn
        self.ami_parameter_name = pipeline.arn.apply(lambda _: parameter_name)
        if settings.bootstrap:
            self.ami_id = None
        else:
            self.ami_id = aws.ssm.get_parameter_output(
                name=self.ami_parameter_name, opts=pulumi.InvokeOutputOptions(parent=self)
            ).insecure_value
        outputs = {"ami_parameter_name": self.ami_parameter_name, "pipeline_arn": self.pipeline_arn}
        if self.ami_id is not None:
            outputs["ami_id"] = self.ami_id
        self.register_outputs(outputs)
