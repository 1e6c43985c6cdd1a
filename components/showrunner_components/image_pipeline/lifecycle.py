"""ECR's lifecycle policy evaluator, as its documentation states it, for testing a policy against a
repository's history before AWS applies it.

The rules, from "Lifecycle policy evaluation rules"
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html#lp_evaluation_rules)
and the policy properties
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html):

- all rules are evaluated at the same time, then applied by `rulePriority`, lowest first;
- an image is expired by exactly one or zero rules;
- an image that matches the tagging requirements of a rule cannot be expired by a rule with a
  lower priority, and rules can never mark images marked by higher-priority rules, but still
  identify (count) them as if they had not been expired;
- `tagStatus`: `tagged` (then `tagPrefixList` or `tagPatternList`, not both), `untagged` (neither)
  or `any` (neither; every image; it must have the highest `rulePriority`); one rule at most
  selects untagged images;
- `tagPrefixList`: an image matches if *every* prefix matches *one of* its tags;
  `tagPatternList`: likewise for every pattern, `*` matching any run of characters;
- `imageCountMoreThan`: images sorted youngest to oldest by push time, those past `countNumber`
  are expired; `sinceImagePushed` (with `countUnit: days`): those pushed more than `countNumber`
  days ago; expiry always takes older images before newer ones.

The worked examples of "Examples of lifecycle policies"
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html) are the
unit tests. Only the `expire` action and these two count types are modelled; anything else is
refused rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


class PolicyError(ValueError):
    """A policy ECR would refuse; the message says which rule and why."""


@dataclass(frozen=True)
class RegistryImage:
    """One image of a repository: its digest, when it was pushed, its tags (none: untagged)."""

    digest: str
    pushed_at: datetime
    tags: tuple[str, ...] = ()


def _pattern(text: str) -> re.Pattern:
    return re.compile("^" + ".*".join(re.escape(part) for part in text.split("*")) + "$")


def _check(rules: Sequence[Mapping]) -> None:
    priorities = [rule.get("rulePriority") for rule in rules]
    if len(set(priorities)) != len(priorities):
        raise PolicyError(f"rule priorities must be unique: {priorities}")
    untagged = 0
    for index, rule in enumerate(rules):
        selection, where = rule.get("selection", {}), f"rule {rule.get('rulePriority')}"
        status, prefixes, patterns = selection.get("tagStatus"), selection.get("tagPrefixList"), selection.get("tagPatternList")
        if rule.get("action", {}).get("type") != "expire":
            raise PolicyError(f"{where}: only the expire action is modelled")
        if status == "tagged" and bool(prefixes) == bool(patterns):
            raise PolicyError(f"{where}: tagStatus tagged needs tagPrefixList or tagPatternList, not both")
        if status in ("untagged", "any") and (prefixes or patterns):
            raise PolicyError(f"{where}: tagStatus {status} takes no tag list")
        if status not in ("tagged", "untagged", "any"):
            raise PolicyError(f"{where}: tagStatus {status!r} is not tagged, untagged or any")
        if status == "any" and index != len(rules) - 1:
            raise PolicyError(f"{where}: a rule with tagStatus any must have the highest rulePriority")
        untagged += status == "untagged"
        count_type, number = selection.get("countType"), selection.get("countNumber")
        if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
            raise PolicyError(f"{where}: countType {count_type!r} is not modelled")
        if not isinstance(number, int) or number < 1:
            raise PolicyError(f"{where}: countNumber must be a positive integer")
        if (count_type == "sinceImagePushed") != ("countUnit" in selection) or selection.get("countUnit", "days") != "days":
            raise PolicyError(f"{where}: countUnit days goes with sinceImagePushed, and only with it")
    if untagged > 1:
        raise PolicyError("only one rule may select untagged images")


def _matches(selection: Mapping, image: RegistryImage) -> bool:
    """Whether the image meets the rule's tagging requirements."""
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    if not image.tags:
        return False
    if selection.get("tagPrefixList"):
        return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in selection["tagPrefixList"])
    return all(any(_pattern(pattern).match(tag) for tag in image.tags) for pattern in selection["tagPatternList"])


def _would_expire(selection: Mapping, selected: list[RegistryImage], now: datetime) -> list[RegistryImage]:
    if selection["countType"] == "imageCountMoreThan":
        youngest_first = sorted(selected, key=lambda image: image.pushed_at, reverse=True)
        return youngest_first[selection["countNumber"]:]
    cutoff = now - timedelta(days=selection["countNumber"])
    return [image for image in selected if image.pushed_at < cutoff]


def evaluate(policy: Mapping, images: Iterable[RegistryImage], now: datetime) -> set[str]:
    """The digests the policy expires in a repository holding `images`, evaluated at `now`."""
    rules = sorted(policy["rules"], key=lambda rule: rule["rulePriority"])
    _check(rules)
    images = list(images)
    expired: set[str] = set()
    seen: set[str] = set()
    """Images a higher-priority rule's tagging requirements matched: no lower rule may expire them."""
    for rule in rules:
        selection = rule["selection"]
        selected = [image for image in images if _matches(selection, image)]
        for image in _would_expire(selection, selected, now):
            if image.digest not in seen:
                expired.add(image.digest)
        seen |= {image.digest for image in selected}
    return expired
