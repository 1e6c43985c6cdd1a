"""Rules across the project's stacks that share an AWS account: one GitHub OIDC provider per account.

IAM allows one OIDC provider per issuer URL in an account, so the second stack that creates
GitHub's fails its first `pulumi up` with EntityAlreadyExists. A stack's account is its load
balancer certificate's (an ALB takes only a certificate of its own account), read from every
`Pulumi.<stack>.yaml` of the project. Of the stacks in one account that would create the
provider, the one that deploys first (a stack that builds its own images before one that
promotes from another, then by name, as the deploy workflow orders them) keeps it; every other
must name it in `showrunner:delivery.oidc_provider_arn`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from showrunner.config import stackfile
from showrunner.config.messages import path_of
from showrunner.config.models import Delivery, LoadBalancer
from showrunner_components.delivery.policies import GITHUB_OIDC_HOST  # the issuer the delivery component creates

if TYPE_CHECKING:
    from showrunner.config.checks import Parsed

_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):[a-z0-9-]+:[a-z0-9-]*:(?P<account>\d{12}):")


def account_of(arn: str) -> tuple[str, str]:
    """(partition, account) of an ARN that has an account (a well-formed one: validation checked it)."""
    match = _ARN.match(arn)
    if match is None:
        raise ValueError(f"{arn} is not an ARN with an account")
    return match["partition"], match["account"]


def github_provider_arn(partition: str, account: str) -> str:
    """The ARN IAM gives GitHub's OIDC provider in an account."""
    return f"arn:{partition}:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"


@dataclass(frozen=True)
class StackDelivery:
    """What one stack file says about its account's GitHub OIDC provider."""

    stack: str
    partition: str
    account: str
    named_provider: str | None
    """`delivery.oidc_provider_arn`; None: the stack creates the provider."""
    promotes: bool
    """The stack has `delivery.promote_from`: it deploys after the stacks that build their own images."""

    @property
    def deploy_order(self) -> tuple[bool, str]:
        return (self.promotes, self.stack)


def stack_delivery(stack: str, values: dict[str, Any]) -> StackDelivery | None:
    """The stack's delivery as the rule reads it; None when it has none or it does not validate
    (that stack's own validation reports why)."""
    try:
        delivery = TypeAdapter(Delivery).validate_python(values["delivery"])
        balancer = TypeAdapter(LoadBalancer).validate_python(values["load_balancer"])
    except (KeyError, TypeError, ValidationError):
        return None
    partition, account = account_of(balancer.certificate_arn)
    return StackDelivery(stack, partition, account, delivery.oidc_provider_arn, delivery.promote_from is not None)


def project_deliveries(project_dir: Path) -> list[StackDelivery]:
    """Every stack file's delivery, merged over the project defaults as the program reads them."""
    try:
        project = stackfile.load_project(project_dir)
    except stackfile.StackConfigError:
        return []
    found = []
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        try:
            config, _ = stackfile.cli_config(project, stackfile.load_stack_file(path, project).values)
        except stackfile.StackConfigError:
            continue
        delivery = stack_delivery(stack, stackfile.namespace_values(project, config))
        if delivery is not None:
            found.append(delivery)
    return found


def ensure_one_oidc_provider_per_account(config: Parsed) -> list[str]:
    """A stack names its account's GitHub OIDC provider when another stack in that account creates
    it, and never names one in another account (roles can trust only their own account's)."""
    if config.delivery is None or config.load_balancer is None:
        return []
    key = path_of("delivery", "oidc_provider_arn")
    partition, account = account_of(config.load_balancer.certificate_arn)
    named = config.delivery.oidc_provider_arn
    if named is not None:
        if account_of(named)[1] != account:
            return [
                f"{key}: names the provider of account {account_of(named)[1]}, but stack {config.stack} is in account {account} "
                f"(its load balancer certificate's), and a role trusts only its own account's provider; "
                f"set it to {github_provider_arn(partition, account)}"
            ]
        return []
    if config.project_dir is None:
        return []
    this = StackDelivery(config.stack, partition, account, None, config.delivery.promote_from is not None)
    creators = sorted(
        [this, *(d for d in project_deliveries(config.project_dir) if d.stack != config.stack and d.account == account and d.named_provider is None)],
        key=lambda d: d.deploy_order,
    )
    owner = creators[0]
    if owner is this:
        return []
    return [
        f"{key}: stack {config.stack} would create a second GitHub OIDC provider in account {account}, where stack "
        f"{owner.stack} creates it (an account has one; the second `pulumi up` fails with EntityAlreadyExists). "
        f"Share {owner.stack}'s: pulumi config set --stack {config.stack} --path showrunner:delivery.oidc_provider_arn "
        f"{github_provider_arn(partition, account)}"
    ]
