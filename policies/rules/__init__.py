"""The showrunner policy rules: pure checks over resource inputs, shared by the CrossGuard pack and `showrunner policy`.

Each rule looks at resources as plain data (the engine's camelCase input names, JSON policy
documents as strings or objects) and returns messages that say what is wrong, where, and how to
fix it. Two front ends run them:

- `policies/__main__.py` wraps them in CrossGuard policies (`crossguard.pack_policies()`), for
  `pulumi preview --policy-pack policies`;
- `showrunner policy` loads this package by path and runs them over `pulumi preview --json`,
  `pulumi stack export` and offline preview documents, without the Pulumi CLI.

Only the standard library is imported, so importing the package never starts a policy pack. A
value that is not known yet (`[unknown]`, or the engine's unknown sentinels) is skipped: the
engine runs the pack again once it is known. A secret value (`[secret]`) is never judged and never
echoed. Modules: `model` (what a rule sees, `evaluate`), `iam`, `hosts`, `data`, `alarms`, `secrets`,
`tags`, `userdata` (base64/gzip user data), `catalog` (the pack's rules), `crossguard`.
"""

from .catalog import PACK_NAME, RULES
from .data import BUILD_CACHE_TAG
from .iam import action_matches
from .model import ADVISORY, MANDATORY, PRODUCTION_TAG, SECRET, Resource, Rule, Violation, evaluate, is_secret, is_unknown
from .userdata import decode_user_data

__all__ = [
    "ADVISORY", "BUILD_CACHE_TAG", "MANDATORY", "PACK_NAME", "PRODUCTION_TAG", "RULES", "SECRET", "Resource", "Rule", "Violation",
    "action_matches", "decode_user_data", "evaluate", "is_secret", "is_unknown",
]
