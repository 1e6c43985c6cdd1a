"""The showrunner CrossGuard policy pack: `pulumi preview --policy-pack policies`.

Only constructs the pack (which starts serving the engine); the rules live in the `rules` package,
which `showrunner policy` loads to run the same checks offline.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules import PACK_NAME
from rules.crossguard import pack_policies

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=pack_policies())
