"""The plain values GoldenAmi's resources are made from, as pure functions: names, the recipe's
version, the log policy and the build instance's user data (the documents are `documents`')."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Sequence

from showrunner_components.golden_ami.documents import component_version

LOG_PREFIX = "imagebuilder"
"""The key prefix of the build logs in the log bucket."""
USER_DATA_SCRIPT = "scripts/install-ssm-agent"
"""Under the documents folder: what the build instance runs before any component."""


def builder_policy_arns(partition: str = "aws") -> dict[str, str]:
    """The managed policies of the build instance's role: Image Builder's and Session Manager's."""
    return {
        "imagebuilder": f"arn:{partition}:iam::aws:policy/EC2InstanceProfileForImageBuilder",
        "ssm": f"arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }


def ami_parameter_name(stack: str, project: str = "showrunner") -> str:
    """Where the distribution writes the newest AMI id.

    Under `/imagebuilder/`: Image Builder's service-linked role (AWSServiceRoleForImageBuilder)
    may `ssm:PutParameter` only on `parameter/imagebuilder/*`, so a parameter anywhere else is never
    written and fleets never see a new AMI. It is also outside `/<project>/<stack>/`, which holds
    one folder of secrets per service, so no service name can collide with it."""
    return f"/imagebuilder/{project}/{stack}/ami-id"


def build_user_data(documents_dir: Path) -> str:
    """Base64 user data of the build instance: Image Builder drives it through the SSM agent, which
    Debian's AMI lacks, so the agent is installed before any component runs."""
    script = (Path(documents_dir) / USER_DATA_SCRIPT).read_text(encoding="utf-8")
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


def log_bucket_name(stack: str, account_id: str, project: str = "showrunner") -> str:
    """Bucket names are global: the account id keeps two accounts' stacks of one name apart."""
    return f"{project}-{stack}-imagebuilder-logs-{account_id}"


def log_write_policy(bucket: str, prefix: str = LOG_PREFIX, partition: str = "aws") -> dict:
    """The build instance may write its logs under the log prefix, and nothing else in S3."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteImageBuilderLogs",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"arn:{partition}:s3:::{bucket}/{prefix}/*"],
            }
        ],
    }


def ami_name(stack: str, project: str = "showrunner") -> str:
    return f"{project}-{stack}-golden-{{{{ imagebuilder:buildDate }}}}"


def notification_key_policy(account_id: str, partition: str = "aws") -> dict:
    """The key of the build notifications topic: the account's IAM policies decide (KMS's default
    statement), and Image Builder's service-linked role may encrypt the messages it publishes.

    Image Builder publishes with that role, which AWS's managed `aws/sns` key does not admit: an
    encrypted topic it publishes to needs a customer-managed key whose policy names the role
    (EC2 Image Builder User Guide, "SNS integration")."""
    root = f"arn:{partition}:iam::{account_id}:root"
    publisher = f"arn:{partition}:iam::{account_id}:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountIamPolicies", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "ImageBuilderPublishes", "Effect": "Allow", "Principal": {"AWS": publisher},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
        ],
    }

