"""Good and bad resources for every rule: each bad case must be caught, no good case flagged.

A case is (id, resources, {urn-name: [policy names expected]}). Resources are built as a
`pulumi preview --json` step's newState would carry them.
"""

from __future__ import annotations

import base64
import gzip
import json

STACK = "staging"


def urn(type_token: str, name: str, stack: str = STACK) -> str:
    return f"urn:pulumi:{stack}::showrunner::{type_token}::{name}"


def state(
    type_token: str, name: str, inputs: dict, *, stack: str = STACK, protect: bool = False, dependencies=(), tags: bool = True,
    production: bool = False,
) -> dict:
    """A newState; it carries the required tags unless `tags=False` or the inputs give their own, and
    with `production` the `Production: true` tag a production stack's resources carry."""
    if tags and "tags" not in inputs:
        inputs = {**inputs, "tags": TAGS}
    if production:
        inputs = {**inputs, "tags": {**inputs.get("tags", {}), "Production": "true"}}
    out = {"type": type_token, "urn": urn(type_token, name, stack), "custom": True, "inputs": inputs}
    if protect:
        out["protect"] = True
    if dependencies:
        out["dependencies"] = list(dependencies)
    return out


TAGS = {"Environment": "staging", "Service": "test", "ManagedBy": "pulumi"}
PROD_TAGS = {**TAGS, "Environment": "prod", "Production": "true"}

# 2015's Packer policy, as the talk showed it: the destructive actions only on instances tagged
# name = "Packer Builder"; the non-destructive ones on *.
PACKER_2015 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PackerSecurityGroupAccess",
            "Action": [
                "ec2:CreateSecurityGroup",
                "ec2:DeleteSecurityGroup",
                "ec2:DescribeSecurityGroups",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
            ],
            "Effect": "Allow",
            "Resource": ["*"],
        },
        {
            "Sid": "PackerAMIAccess",
            "Action": [
                "ec2:CreateImage",
                "ec2:RegisterImage",
                "ec2:DeregisterImage",
                "ec2:DescribeImages",
                "ec2:CreateSnapshot",
                "ec2:DescribeSnapshots",
                "ec2:CreateTags",
                "ec2:DescribeInstances",
                "ec2:RunInstances",
                "ec2:CreateVolume",
                "ec2:AttachVolume",
                "ec2:DescribeVolumes",
                "ec2:DescribeRegions",
                "ec2:DescribeTags",
            ],
            "Effect": "Allow",
            "Resource": ["*"],
        },
        {
            "Sid": "PackerInstanceAccess",
            "Action": [
                "ec2:StopInstances",
                "ec2:TerminateInstances",
                "ec2:DeleteSnapshot",
                "ec2:DetachVolume",
                "ec2:DeleteVolume",
                "ec2:ModifyImageAttribute",
            ],
            "Effect": "Allow",
            "Resource": ["*"],
            "Condition": {"StringEquals": {"ec2:ResourceTag/name": "Packer Builder"}},
        },
    ],
}
PACKER_2015_UNTAGGED = {
    **PACKER_2015,
    "Statement": [
        {k: v for k, v in s.items() if k != "Condition"} for s in PACKER_2015["Statement"]
    ],
}


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ECR = "aws:ecr/repository:Repository"
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
RDS = "aws:rds/instance:Instance"
DDB = "aws:dynamodb/table:Table"
LAMBDA = "aws:lambda/function:Function"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC = "aws:sns/topic:Topic"
ALB = "aws:lb/loadBalancer:LoadBalancer"
GOOD_RDS = {"deletionProtection": True, "storageEncrypted": True, "publiclyAccessible": False, "tags": TAGS}
GOOD_CACHE = {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True, "finalSnapshotIdentifier": "final", "tags": TAGS}
GOOD_ALB = {"accessLogs": {"bucket": "alb-logs", "enabled": True}, "enableDeletionProtection": True, "tags": TAGS}
OPEN_QUEUE_POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]})
SOURCE_TOPIC_POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
                                                 "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/x"}}}]})

EC2_TRUST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)
GOOD_LT = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 16}},
        {"deviceName": "/dev/xvdb", "ebs": {"encrypted": "true", "volumeSize": 60}},
    ],
    "tags": TAGS,
}
GOOD_ECR = {"imageScanningConfiguration": {"scanOnPush": True}, "imageTagMutability": "IMMUTABLE", "tags": TAGS}
FULL_BLOCK = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}


def b64gz(text: str) -> str:
    """As the fleet encodes user data over EC2's 16 KB: gzipped, then base64."""
    return base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def role(name: str, **inputs) -> dict:
    return state(ROLE, name, {"assumeRolePolicy": EC2_TRUST, "tags": TAGS, **inputs})


ASG = "aws:autoscaling/group:Group"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROUTED_GROUP = {
    "targetGroupArns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-django/0123"],
    "instanceRefresh": {"strategy": "Rolling", "preferences": {"autoRollback": True, "minHealthyPercentage": 90}},
    "tags": [{"key": k, "value": v, "propagateAtLaunch": False} for k, v in TAGS.items()],
}


def gated(*names: str) -> dict:
    refresh = ROUTED_GROUP["instanceRefresh"]
    return {**ROUTED_GROUP, "instanceRefresh": {**refresh, "preferences": {**refresh["preferences"], "alarmSpecification": {"alarms": list(names)}}}}


def alarm(name: str, *, stack: str = STACK, actions=("arn:aws:sns:us-east-1:123456789012:showrunner-prod-alerts",), tags=TAGS) -> dict:
    return state(ALARM, name, {"name": name, "alarmActions": list(actions), "tags": tags}, stack=stack)


CASES: list[tuple[str, list[dict], dict[str, list[str]]]] = [
    # --- iam-no-wildcard-admin
    ("star-on-star", [state(POLICY, "p", {"policy": doc(allow("*"))})],
     {"p": ["iam-no-wildcard-admin", "iam-no-escalation-on-broad", "iam-destructive-ec2-tag-scoped", "iam-passrole-named", "iam-secret-reads-scoped"]}),
    ("service-star-on-star", [state(POLICY, "p", {"policy": doc(allow(["s3:GetObject", "S3:*"]))})], {"p": ["iam-no-wildcard-admin"]}),
    ("service-star-on-arn-wildcards", [state(POLICY, "p", {"policy": doc(allow("ecr:*", "arn:aws:*:*:*:*"))})], {"p": ["iam-no-wildcard-admin"]}),
    ("service-star-on-named-repo", [state(POLICY, "p", {"policy": doc(allow("ecr:*", "arn:aws:ecr:us-east-1:123456789012:repository/www"))})], {}),
    ("describe-star-on-star", [state(POLICY, "p", {"policy": doc(allow(["ec2:Describe*", "autoscaling:Describe*"]))})], {}),
    ("deny-star-is-fine", [state(POLICY, "p", {"policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})})], {}),
    # --- iam-destructive-ec2-tag-scoped (2015's Packer rule)
    ("packer-2015-passes", [state(POLICY, "packer", {"policy": json.dumps(PACKER_2015)})], {}),
    ("packer-2015-untagged-twin-fails", [state(POLICY, "packer", {"policy": json.dumps(PACKER_2015_UNTAGGED)})], {"packer": ["iam-destructive-ec2-tag-scoped"]}),
    ("packer-2015-as-object", [state(POLICY, "packer", {"policy": PACKER_2015})], {}),
    ("terminate-lowercase-untagged", [state(POLICY, "p", {"policy": doc(allow("EC2:terminateinstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"))})], {"p": ["iam-destructive-ec2-tag-scoped"]}),
    ("delete-wildcard-untagged", [state(POLICY, "p", {"policy": doc(allow("ec2:Delete*", "arn:aws:ec2:*:*:volume/*"))})], {"p": ["iam-destructive-ec2-tag-scoped"]}),
    ("question-mark-wildcard", [state(POLICY, "p", {"policy": doc(allow("ec2:?etachVolume", "arn:aws:ec2:*:*:volume/*"))})], {"p": ["iam-destructive-ec2-tag-scoped"]}),
    ("delete-wildcard-aws-tag", [state(POLICY, "p", {"policy": doc(allow("ec2:Delete*", "*", Condition={"StringEquals": {"aws:ResourceTag/ManagedBy": "pulumi"}}))})], {}),
    ("request-tag-is-not-resource-tag", [state(POLICY, "p", {"policy": doc(allow("ec2:TerminateInstances", "*", Condition={"StringEquals": {"aws:RequestTag/ManagedBy": "pulumi"}}))})], {"p": ["iam-destructive-ec2-tag-scoped"]}),
    ("delete-security-group-not-destructive", [state(POLICY, "p", {"policy": doc(allow("ec2:DeleteSecurityGroup"))})], {}),
    # --- iam-passrole-named
    ("passrole-star", [state(ROLE_POLICY, "rp", {"role": "r", "policy": doc(allow("iam:PassRole"))})], {"rp": ["iam-passrole-named"]}),
    ("passrole-wildcard-role", [state(ROLE_POLICY, "rp", {"role": "r", "policy": doc(allow("iam:Pass*", "arn:aws:iam::123456789012:role/*"))})], {"rp": ["iam-passrole-named"]}),
    ("passrole-named", [state(ROLE_POLICY, "rp", {"role": "r", "policy": doc(allow("iam:PassRole", ["arn:aws:iam::123456789012:role/fleet-www-role", "arn:aws:iam::123456789012:role/golden/ami-build"]))})], {}),
    ("iam-get-is-not-passrole", [state(ROLE_POLICY, "rp", {"role": "r", "policy": doc(allow("iam:Get*"))})], {}),
    # --- iam-no-not-action
    ("not-action-allow", [state(POLICY, "p", {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})})], {"p": ["iam-no-not-action"]}),
    ("not-resource-allow", [state(POLICY, "p", {"policy": doc({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::private/*"})})], {"p": ["iam-no-not-action"]}),
    ("not-action-deny-is-fine", [state(POLICY, "p", {"policy": doc({"Effect": "Deny", "NotAction": "sts:*", "Resource": "*"})})], {}),
    # --- iam-secret-reads-scoped
    ("ssm-get-star", [state(POLICY, "p", {"policy": doc(allow("ssm:GetParameter*"))})], {"p": ["iam-secret-reads-scoped"]}),
    ("ssm-get-wildcard-pattern", [state(POLICY, "p", {"policy": doc(allow("ssm:Get*"))})], {"p": ["iam-secret-reads-scoped"]}),
    ("kms-decrypt-star", [state(POLICY, "p", {"policy": doc(allow(["kms:Decrypt", "kms:DescribeKey"]))})], {"p": ["iam-secret-reads-scoped"]}),
    ("secretsmanager-star", [state(POLICY, "p", {"policy": doc(allow("secretsmanager:GetSecretValue"))})], {"p": ["iam-secret-reads-scoped"]}),
    ("ssm-get-scoped-path", [state(POLICY, "p", {"policy": doc(allow("ssm:GetParameters", "arn:aws:ssm:us-east-1:123456789012:parameter/showrunner/staging/django/*"))})], {}),
    ("kms-decrypt-key-arn", [state(POLICY, "p", {"policy": doc(allow("kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"))})], {}),
    # --- iam-no-admin-policy
    ("attach-admin", [state(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})], {"a": ["iam-no-admin-policy"]}),
    ("attach-poweruser", [state(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"})], {"a": ["iam-no-admin-policy"]}),
    ("role-managed-admin", [role("r", managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"])], {"r": ["iam-no-admin-policy"]}),
    ("attach-ssm-core", [state(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"})], {}),
    # --- iam-trust-not-open, inline policies on roles
    ("trust-star", [role("r", assumeRolePolicy={"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}})], {"r": ["iam-trust-not-open"]}),
    ("trust-aws-star", [role("r", assumeRolePolicy=json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}, "Action": "sts:AssumeRole"}]}))], {"r": ["iam-trust-not-open"]}),
    ("trust-github-without-sub", [role("r", assumeRolePolicy=json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}))], {"r": ["iam-trust-not-open"]}),
    ("trust-ec2-service", [role("r")], {}),
    ("role-inline-star", [role("r", inlinePolicies=[{"name": "ok", "policy": doc(allow("ec2:Describe*"))}, {"name": "bad", "policy": doc(allow("s3:*"))}])], {"r": ["iam-no-wildcard-admin"]}),
    ("statement-as-object", [state(POLICY, "p", {"policy": json.dumps({"Statement": {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}})})], {"p": ["iam-no-wildcard-admin"]}),
    ("unreadable-document", [state(POLICY, "p", {"policy": "{not json"})], {"p": ["iam-policy-readable"]}),
    ("unknown-document-skipped", [state(POLICY, "p", {"policy": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})], {}),
    # --- hosts-launch-template-hardened
    ("lt-good", [state(LT, "lt", GOOD_LT)], {}),
    ("lt-imdsv1", [state(LT, "lt", {**GOOD_LT, "metadataOptions": {"httpTokens": "optional"}})], {"lt": ["hosts-launch-template-hardened"]}),
    ("lt-no-metadata-options", [state(LT, "lt", {k: v for k, v in GOOD_LT.items() if k != "metadataOptions"})], {"lt": ["hosts-launch-template-hardened"]}),
    ("lt-unencrypted-data-volume", [state(LT, "lt", {**GOOD_LT, "blockDeviceMappings": [GOOD_LT["blockDeviceMappings"][0], {"deviceName": "/dev/xvdb", "ebs": {"volumeSize": 60}}]})], {"lt": ["hosts-launch-template-hardened"]}),
    ("lt-no-mappings", [state(LT, "lt", {**GOOD_LT, "blockDeviceMappings": []})], {"lt": ["hosts-launch-template-hardened"]}),
    # --- hosts-no-open-ingress
    ("sg-https-world", [state(SG, "alb", {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "ipv6CidrBlocks": ["::/0"]}, {"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}], "tags": TAGS})], {}),
    ("sg-ssh-world", [state(SG, "sg", {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}], "tags": TAGS})], {"sg": ["hosts-no-open-ingress"]}),
    ("sg-ssh-private", [state(SG, "sg", {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}], "tags": TAGS})], {"sg": ["hosts-no-open-ingress"]}),
    ("sg-range-world", [state(SG, "sg", {"ingress": [{"protocol": "tcp", "fromPort": 8000, "toPort": 8080, "cidrBlocks": ["0.0.0.0/0"]}], "tags": TAGS})], {"sg": ["hosts-no-open-ingress"]}),
    ("ingress-rule-all-ipv6", [state(SG_INGRESS, "r", {"securityGroupId": "sg-1", "ipProtocol": "-1", "cidrIpv6": "::/0"})], {"r": ["hosts-no-open-ingress"]}),
    ("ingress-rule-https-ipv6", [state(SG_INGRESS, "r", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv6": "::/0"})], {}),
    ("ingress-rule-from-alb-sg", [state(SG_INGRESS, "r", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 8000, "toPort": 8000, "referencedSecurityGroupId": "sg-2"})], {}),
    ("sg-rule-world-3306", [state(SG_RULE, "r", {"type": "ingress", "protocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "sg-1"})], {"r": ["hosts-no-open-ingress"]}),
    ("sg-rule-egress-world", [state(SG_RULE, "r", {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "sg-1"})], {}),
    # --- data-ecr-scan-immutable
    ("ecr-good", [state(ECR, "repo", GOOD_ECR)], {}),
    ("ecr-mutable", [state(ECR, "repo", {**GOOD_ECR, "imageTagMutability": "MUTABLE"})], {"repo": ["data-ecr-scan-immutable"]}),
    ("ecr-build-cache-mutable", [state(ECR, "repo", {**GOOD_ECR, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                                                     "imageTagMutabilityExclusionFilters": [{"filter": "build-cache", "filterType": "WILDCARD"}]})], {}),
    ("ecr-release-tags-mutable", [state(ECR, "repo", {**GOOD_ECR, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                                                      "imageTagMutabilityExclusionFilters": [{"filter": "build-cache", "filterType": "WILDCARD"},
                                                                                             {"filter": "v*", "filterType": "WILDCARD"}]})],
     {"repo": ["data-ecr-scan-immutable"]}),
    ("ecr-exclusion-without-filters", [state(ECR, "repo", {**GOOD_ECR, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"})], {"repo": ["data-ecr-scan-immutable"]}),
    ("ecr-default-no-scan", [state(ECR, "repo", {"tags": TAGS})], {"repo": ["data-ecr-scan-immutable", "data-ecr-scan-immutable"]}),
    # --- data-s3-block-public (stack rule)
    ("bucket-with-block", [state(BUCKET, "b", {"tags": TAGS}), state(PAB, "b-pab", {"bucket": "b", **FULL_BLOCK}, dependencies=[urn(BUCKET, "b")])], {}),
    ("bucket-without-block", [state(BUCKET, "b", {"tags": TAGS})], {"b": ["data-s3-block-public"]}),
    ("bucket-partial-block", [state(BUCKET, "b", {"tags": TAGS}), state(PAB, "b-pab", {"bucket": "b", **FULL_BLOCK, "restrictPublicBuckets": False}, dependencies=[urn(BUCKET, "b")])], {"b": ["data-s3-block-public"]}),
    # --- data-prod-retained
    # Production is what the resources say (the Production tag), not the stack's name.
    ("rds-prod-unprotected", [state(RDS, "db", {"storageEncrypted": True, "tags": PROD_TAGS}, stack="prod")], {"db": ["data-prod-retained"]}),
    ("rds-prod-copy-under-another-name", [state(RDS, "db", {"storageEncrypted": True, "tags": PROD_TAGS}, stack="prd-eu")], {"db": ["data-prod-retained"]}),
    ("rds-prod-tags-all", [state(RDS, "db", {"storageEncrypted": True, "tags": TAGS, "tagsAll": PROD_TAGS}, stack="qa")], {"db": ["data-prod-retained"]}),
    ("rds-prod-deletion-protection", [state(RDS, "db", {"deletionProtection": True, "storageEncrypted": True, "tags": PROD_TAGS}, stack="prod")], {}),
    ("dynamodb-prod-protect-option", [state(DDB, "t", {"tags": PROD_TAGS}, stack="prod", protect=True)], {}),
    ("rds-staging-unprotected", [state(RDS, "db", {"tags": TAGS})], {}),
    ("rds-named-prod-but-not-production", [state(RDS, "db", {"tags": TAGS}, stack="prod")], {}),
    ("ecr-prod-force-delete", [state(ECR, "repo", {**GOOD_ECR, "forceDelete": True, "tags": PROD_TAGS}, stack="prod")], {"repo": ["data-prod-retained"]}),
    # --- alarms-routed-fleets-gated (stack rule, production only)
    ("prod-routed-group-without-alarms", [state(ASG, "www-asg", ROUTED_GROUP, stack="prod"), alarm("django-5xx", stack="prod", tags=PROD_TAGS)],
     {"www-asg": ["alarms-routed-fleets-gated"]}),
    ("prod-named-routed-group-not-production", [state(ASG, "www-asg", ROUTED_GROUP, stack="prod"), alarm("django-5xx", stack="prod")], {}),
    ("prod-routed-group-gated", [state(ASG, "www-asg", gated("django-5xx"), stack="prod"), alarm("django-5xx", stack="prod", tags=PROD_TAGS)], {}),
    ("prod-routed-group-names-a-missing-alarm", [state(ASG, "www-asg", gated("django-5xx", "django-p99"), stack="prod"), alarm("django-5xx", stack="prod", tags=PROD_TAGS)],
     {"www-asg": ["alarms-routed-fleets-gated"]}),
    ("prod-routed-group-gated-by-a-silent-alarm", [state(ASG, "www-asg", gated("django-5xx"), stack="prod"), alarm("django-5xx", stack="prod", actions=[], tags=PROD_TAGS)],
     {"www-asg": ["alarms-routed-fleets-gated"]}),
    ("prod-worker-group-needs-no-gate", [state(ASG, "worker-asg", {**ROUTED_GROUP, "targetGroupArns": []}, stack="prod"), alarm("django-5xx", stack="prod", tags=PROD_TAGS)], {}),
    ("production-copy-routed-group-without-alarms", [state(ASG, "www-asg", ROUTED_GROUP, stack="prd-eu"), alarm("django-5xx", stack="prd-eu", tags=PROD_TAGS)],
     {"www-asg": ["alarms-routed-fleets-gated"]}),
    ("staging-routed-group-without-alarms", [state(ASG, "www-asg", ROUTED_GROUP)], {}),
    # --- secrets-no-plaintext
    ("lt-userdata-secret-key", [state(LT, "lt", {**GOOD_LT, "userData": b64("#!/bin/sh\nexport SECRET_KEY=hunter2hunter2hunter2\n")})], {"lt": ["secrets-no-plaintext"]}),
    ("lt-userdata-aws-key", [state(LT, "lt", {**GOOD_LT, "userData": b64("#cloud-config\nwrite_files:\n- content: AKIAIOSFODNN7EXAMPLE\n")})], {"lt": ["secrets-no-plaintext"]}),
    ("lt-userdata-gzipped-secret-key", [state(LT, "lt", {**GOOD_LT, "userData": b64gz("#!/bin/sh\nexport SECRET_KEY=hunter2hunter2hunter2\n")})], {"lt": ["secrets-no-plaintext"]}),
    # base64 as the `base64` tool writes it (wrapped at 76 columns) is decoded too
    ("lt-userdata-wrapped-base64-aws-key", [state(LT, "lt", {**GOOD_LT, "userData": base64.encodebytes(("#cloud-config\n" + "# padding\n" * 8 + "runcmd:\n- export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n").encode()).decode()})], {"lt": ["secrets-no-plaintext"]}),
    # text that only looks like base64 (it does not decode to UTF-8) is read as it is
    ("lt-userdata-plain-aws-key", [state(LT, "lt", {**GOOD_LT, "userData": "AKIAIOSFODNN7EXAMPLE"})], {"lt": ["secrets-no-plaintext"]}),
    ("lt-userdata-private-key", [state(LT, "lt", {**GOOD_LT, "userData": b64("-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n")})], {"lt": ["secrets-no-plaintext"]}),
    ("lt-userdata-references", [state(LT, "lt", {**GOOD_LT, "userData": b64("#cloud-config\n# SECRET_KEY comes from SSM\nSECRET_KEY_PARAMETER=/showrunner/prod/django/SECRET_KEY\nSECRET_KEY=$(cat /run/showrunner/django.env)\n")})], {}),
    # where a host mints the database token, not a password
    ("lt-userdata-iam-token-source", [state(LT, "lt", {**GOOD_LT, "userData": b64("#cloud-config\nExecStartPre=/usr/local/sbin/showrunner-fetch-secrets --credentials django /run/showrunner/django.d DATABASE_PASSWORD=rds-iam:db.example:3306:showrunner_app\n")})], {}),
    ("lt-userdata-password-not-a-source", [state(LT, "lt", {**GOOD_LT, "userData": b64("#cloud-config\nDATABASE_PASSWORD=rds-iamhunter2hunter2\n")})], {"lt": ["secrets-no-plaintext"]}),
    ("userdata-secret-placeholder", [state(LT, "lt", {**GOOD_LT, "userData": "[secret]"})], {}),
    ("lambda-env-password", [state(LAMBDA, "fn", {"environment": {"variables": {"DB_PASSWORD": "correct-horse-battery", "LOG_LEVEL": "info"}}, "tags": TAGS})], {"fn": ["secrets-no-plaintext"]}),
    ("lambda-env-secret-value", [state(LAMBDA, "fn", {"environment": {"variables": {"DB_PASSWORD": "[secret]", "DJANGO_SETTINGS_MODULE": "www.settings"}}, "tags": TAGS})], {}),
    # --- wildcard ARNs are as broad as *
    ("star-on-arn-star", [state(POLICY, "p", {"policy": doc(allow("*", "arn:*"))})],
     {"p": ["iam-no-wildcard-admin", "iam-no-escalation-on-broad", "iam-destructive-ec2-tag-scoped", "iam-passrole-named", "iam-secret-reads-scoped"]}),
    ("ssm-get-any-parameter-arn", [state(POLICY, "p", {"policy": doc(allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/*"))})], {"p": ["iam-secret-reads-scoped"]}),
    ("secretsmanager-any-secret-arn", [state(POLICY, "p", {"policy": doc(allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:*"))})],
     {"p": ["iam-secret-reads-scoped"]}),
    ("s3-star-on-any-bucket", [state(POLICY, "p", {"policy": doc(allow("s3:*", "arn:aws:s3:::*"))})], {"p": ["iam-no-wildcard-admin"]}),
    ("s3-get-named-bucket-objects", [state(POLICY, "p", {"policy": doc(allow("s3:GetObject", "arn:aws:s3:::state-bucket/*"))})], {}),
    # --- iam-no-escalation-on-broad
    ("assume-role-star", [state(POLICY, "p", {"policy": doc(allow("sts:AssumeRole"))})], {"p": ["iam-no-escalation-on-broad"]}),
    ("put-role-policy-any-role", [state(POLICY, "p", {"policy": doc(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"], "arn:aws:iam::123456789012:role/*"))})],
     {"p": ["iam-no-escalation-on-broad"]}),
    ("create-policy-version-any-policy", [state(POLICY, "p", {"policy": doc(allow("iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/*"))})],
     {"p": ["iam-no-escalation-on-broad"]}),
    ("put-role-policy-bounded", [state(POLICY, "p", {"policy": doc(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreateRole"], "arn:aws:iam::123456789012:role/*",
                                                                           Condition={"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/b"}}))})], {}),
    ("put-role-policy-named-role", [state(POLICY, "p", {"policy": doc(allow("iam:PutRolePolicy", "arn:aws:iam::123456789012:role/fleet-www-role"))})], {}),
    # --- secrets-no-plaintext: credentials inside URLs
    ("env-url-credential", [state(LAMBDA, "fn", {"environment": {"variables": {"DATABASE_URL": "mysql://root:pw@db/x"}}, "tags": TAGS})], {"fn": ["secrets-no-plaintext"]}),
    ("lt-userdata-url-credential", [state(LT, "lt", {**GOOD_LT, "userData": b64("#cloud-config\nruncmd:\n- docker run --env DATABASE_URL=mysql://root:hunter2@db/x www\n")})],
     {"lt": ["secrets-no-plaintext"]}),
    ("env-urls-without-credentials", [state(LAMBDA, "fn", {"environment": {"variables": {"DATABASE_URL": "mysql://root:[secret]@db/x", "CACHE_URL": "rediss://cache:6379/0",
                                                                                          "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}}, "tags": TAGS})], {}),
    # --- data-prod-encrypted
    ("rds-prod-unencrypted", [state(RDS, "db", {**GOOD_RDS, "storageEncrypted": False}, stack="prod", production=True)], {"db": ["data-prod-encrypted"]}),
    ("rds-prod-good", [state(RDS, "db", GOOD_RDS, stack="prod", production=True)], {}),
    ("cache-prod-no-transit-encryption", [state(CACHE, "c", {**GOOD_CACHE, "transitEncryptionEnabled": False}, stack="prod", production=True)], {"c": ["data-prod-encrypted"]}),
    ("cache-prod-encrypted", [state(CACHE, "c", GOOD_CACHE, stack="prod", production=True)], {}),
    ("queue-prod-unencrypted", [state(QUEUE, "q", {"tags": TAGS}, stack="prod", production=True)], {"q": ["data-prod-encrypted"]}),
    ("queue-prod-sse", [state(QUEUE, "q", {"sqsManagedSseEnabled": True, "tags": TAGS}, stack="prod", production=True)], {}),
    ("topic-prod-unencrypted", [state(TOPIC, "t", {"tags": TAGS}, stack="prod", production=True)], {"t": ["data-prod-encrypted"]}),
    ("topic-prod-kms", [state(TOPIC, "t", {"kmsMasterKeyId": "alias/aws/sns", "tags": TAGS}, stack="prod", production=True)], {}),
    ("topic-staging-unencrypted", [state(TOPIC, "t", {"tags": TAGS})], {}),
    # --- data-prod-not-public
    ("rds-prod-public", [state(RDS, "db", {**GOOD_RDS, "publiclyAccessible": True}, stack="prod", production=True)], {"db": ["data-prod-not-public"]}),
    # A queue policy carries no tags: the stack is production when any of its resources says so.
    ("queue-policy-prod-open", [state(QUEUE, "q", {"sqsManagedSseEnabled": True}, stack="prod", production=True),
                                state(QUEUE_POLICY, "qp", {"queueUrl": "https://sqs/q", "policy": OPEN_QUEUE_POLICY}, stack="prod", tags=False)],
     {"qp": ["data-prod-not-public"]}),
    ("queue-policy-open-outside-production", [state(QUEUE, "q", {"sqsManagedSseEnabled": True}, stack="prod"),
                                              state(QUEUE_POLICY, "qp", {"queueUrl": "https://sqs/q", "policy": OPEN_QUEUE_POLICY}, stack="prod", tags=False)],
     {}),
    ("topic-prod-policy-with-source", [state(TOPIC, "t", {"kmsMasterKeyId": "alias/aws/sns", "policy": SOURCE_TOPIC_POLICY, "tags": TAGS}, stack="prod", production=True)], {}),
    # --- data-prod-alb-logged-protected
    ("alb-prod-bare", [state(ALB, "alb", {"tags": TAGS}, stack="prod", production=True)], {"alb": ["data-prod-alb-logged-protected", "data-prod-alb-logged-protected"]}),
    ("alb-prod-logged-protected", [state(ALB, "alb", GOOD_ALB, stack="prod", production=True)], {}),
    ("alb-old-token-prod-no-logs", [state("aws:alb/loadBalancer:LoadBalancer", "alb", {**GOOD_ALB, "accessLogs": {"bucket": "alb-logs", "enabled": False}}, stack="prod", production=True)],
     {"alb": ["data-prod-alb-logged-protected"]}),
    ("alb-staging-bare", [state(ALB, "alb", {"tags": TAGS})], {}),
    # --- tags-required (advisory)
    ("kms-key-missing-service", [state("aws:kms/key:Key", "k", {"tags": {"Environment": "staging", "ManagedBy": "pulumi"}})], {"k": ["tags-required"]}),
    ("vpc-no-tags", [state("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}, tags=False)], {"vpc": ["tags-required"]}),
    ("asg-list-tags", [state("aws:autoscaling/group:Group", "asg", {"tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()]})], {}),
    ("kms-alias-not-taggable", [state("aws:kms/alias:Alias", "a", {"name": "alias/x"}, tags=False)], {}),
]
