"""The pack: its name and every rule, with its name, description, enforcement level and the types it reads."""

from __future__ import annotations

from .alarms import check_routed_fleets_alarmed
from .data import (
    ENCRYPTED,
    LOAD_BALANCER_TYPES,
    PUBLIC_TYPES,
    STATEFUL,
    check_buckets_block_public,
    check_ecr_repository,
    check_prod_encrypted,
    check_prod_load_balancer,
    check_prod_not_public,
    check_stateful_retained,
)
from .hosts import INGRESS_TYPES, LAUNCH_TYPES, check_ingress, check_launch_template
from .iam import (
    ATTACHMENT_TYPES,
    IDENTITY_POLICY_TYPES,
    check_destructive_ec2_tagged,
    check_document_readable,
    check_no_admin_attachment,
    check_no_escalation_on_broad,
    check_no_full_wildcard,
    check_no_not_action,
    check_pass_role_named,
    check_secret_reads_scoped,
    check_trust_not_open,
)
from .model import ADVISORY, Rule
from .secrets import check_no_plaintext_secrets
from .tags import check_tags

PACK_NAME = "showrunner-policies"

RULES: tuple[Rule, ...] = (
    Rule("iam-policy-readable", "IAM policy documents are JSON objects with a Statement", check_document_readable,
         types=IDENTITY_POLICY_TYPES),
    Rule("iam-no-wildcard-admin", "No Allow of * or service:* actions on Resource * or a wildcard ARN", check_no_full_wildcard,
         types=IDENTITY_POLICY_TYPES),
    Rule("iam-no-escalation-on-broad",
         "No privilege-escalation action (policy writes, role creation, trust changes, sts:AssumeRole) on * or a wildcard ARN, "
         "unless bound to a permissions boundary",
         check_no_escalation_on_broad, types=IDENTITY_POLICY_TYPES),
    Rule("iam-destructive-ec2-tag-scoped",
         "Destructive EC2 actions only under an aws:ResourceTag/ or ec2:ResourceTag/ condition (2015's Packer rule)",
         check_destructive_ec2_tagged, types=IDENTITY_POLICY_TYPES),
    Rule("iam-passrole-named", "iam:PassRole only on named role ARNs", check_pass_role_named, types=IDENTITY_POLICY_TYPES),
    Rule("iam-no-not-action", "No Allow with NotAction or NotResource", check_no_not_action, types=IDENTITY_POLICY_TYPES),
    Rule("iam-secret-reads-scoped", "ssm:GetParameter*, secretsmanager:GetSecretValue and kms:Decrypt never on * or a wildcard ARN",
         check_secret_reads_scoped, types=IDENTITY_POLICY_TYPES),
    Rule("iam-no-admin-policy", "No attachment of AWS's administrator or power-user managed policies",
         check_no_admin_attachment, types=ATTACHMENT_TYPES),
    Rule("iam-trust-not-open", "No trust policy open to a * principal (or to every GitHub repository)",
         check_trust_not_open, types=frozenset({"aws:iam/role:Role"})),
    Rule("hosts-launch-template-hardened", "Launch templates and instances require IMDSv2 and encrypted volumes",
         check_launch_template, types=LAUNCH_TYPES),
    Rule("hosts-no-open-ingress", "No ingress from 0.0.0.0/0 or ::/0 except tcp 80/443, and no SSH ingress at all",
         check_ingress, types=INGRESS_TYPES),
    Rule("data-ecr-scan-immutable", "ECR repositories scan on push and have immutable tags", check_ecr_repository,
         types=frozenset({"aws:ecr/repository:Repository"})),
    Rule("data-s3-block-public", "S3 buckets block public access", check_buckets_block_public, stack=True),
    Rule("data-prod-retained", "Stateful resources keep deletion protection or retention in production (tagged Production: true)",
         check_stateful_retained, types=frozenset(STATEFUL)),
    Rule("data-prod-encrypted", "RDS, ElastiCache, SQS and SNS are encrypted in production", check_prod_encrypted,
         types=frozenset(ENCRYPTED)),
    Rule("data-prod-not-public", "No publicly accessible RDS, and no SQS or SNS policy open to Principal * in production",
         check_prod_not_public, stack=True),
    Rule("data-prod-alb-logged-protected", "Load balancers write access logs and have deletion protection in production",
         check_prod_load_balancer, types=LOAD_BALANCER_TYPES),
    Rule("alarms-routed-fleets-gated",
         "In production, a load-balanced Auto Scaling group's instance refresh names alarms that exist and notify someone",
         check_routed_fleets_alarmed, stack=True),
    Rule("secrets-no-plaintext", "No secret-looking plaintext in user data, launch templates or environment maps",
         check_no_plaintext_secrets),
    Rule("tags-required", "Environment, Service and ManagedBy tags on taggable resources", check_tags,
         enforcement=ADVISORY),
)
