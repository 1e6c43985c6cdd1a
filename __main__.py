"""showrunner: the table of contents of one stack.

Config → typed settings → components. Everything below is wiring; the work lives in components/.
"""

from pathlib import Path

import pulumi

from components.runtime import stack_settings
from components.secrets import ServiceSecrets, ServiceSecretsArgs
from components.tagging import stack_tags

settings = stack_settings(Path(__file__).parent)
tags = stack_tags(settings.tags, settings.environment)

secrets = ServiceSecrets(
    "secrets",
    ServiceSecretsArgs(stack=settings.stack, secrets=settings.secrets, tags=tags),
)

pulumi.export("secrets_key_arn", secrets.key_arn)
