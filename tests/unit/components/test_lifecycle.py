"""ECR's lifecycle evaluation (image_pipeline.lifecycle), on AWS's own worked examples, then the
pipeline's policy over 100 staging builds, some of them promoted to prod."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from showrunner_components.image_pipeline.builds import CACHE_TAG, lifecycle_policy, release_tag
from showrunner_components.image_pipeline.lifecycle import PolicyError, RegistryImage, evaluate

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def rule(priority: int, *, status: str = "tagged", prefixes=None, patterns=None, count: str = "imageCountMoreThan", number: int = 1) -> dict:
    selection = {"tagStatus": status, "countType": count, "countNumber": number}
    if prefixes:
        selection["tagPrefixList"] = prefixes
    if patterns:
        selection["tagPatternList"] = patterns
    if count == "sinceImagePushed":
        selection["countUnit"] = "days"
    return {"rulePriority": priority, "selection": selection, "action": {"type": "expire"}}


# "Filtering on multiple rules", examples A and B: A [beta-1, prod-1] 10 days, B [beta-2, prod-2] 9, C [beta-3] 8.
MULTIPLE = [RegistryImage("A", ago(10), ("beta-1", "prod-1")), RegistryImage("B", ago(9), ("beta-2", "prod-2")), RegistryImage("C", ago(8), ("beta-3",))]


def test_aws_example_a_an_image_a_higher_rule_matched_is_not_expired_by_a_lower_one():
    policy = {"rules": [rule(1, prefixes=["prod"]), rule(2, prefixes=["beta"])]}
    assert evaluate(policy, MULTIPLE, NOW) == {"A"}


def test_aws_example_b_the_same_images_with_the_priorities_swapped():
    policy = {"rules": [rule(1, prefixes=["beta"]), rule(2, prefixes=["prod"])]}
    assert evaluate(policy, MULTIPLE, NOW) == {"A", "B"}


def test_aws_multiple_tags_example_a_every_prefix_must_match_one_tag():
    images = [RegistryImage("A", ago(12), ("alpha-1",)), RegistryImage("B", ago(11), ("beta-1",)), RegistryImage("C", ago(10), ("alpha-2", "beta-2")),
              RegistryImage("D", ago(4), ("alpha-3",)), RegistryImage("E", ago(3), ("beta-3",)), RegistryImage("F", ago(2), ("alpha-4", "beta-4"))]
    policy = {"rules": [rule(1, prefixes=["alpha", "beta"], count="sinceImagePushed", number=5)]}
    assert evaluate(policy, images, NOW) == {"C"}


def test_aws_multiple_tags_example_b_tags_are_not_exclusive():
    images = [RegistryImage("A", ago(10), ("alpha-1", "beta-1", "gamma-1")), RegistryImage("B", ago(9), ("alpha-2", "beta-2")),
              RegistryImage("C", ago(8), ("alpha-3", "beta-3", "gamma-2"))]
    assert evaluate({"rules": [rule(1, prefixes=["alpha", "beta"])]}, images, NOW) == {"A", "B"}


def test_untagged_by_age_patterns_by_wildcard_and_any_last():
    images = [RegistryImage("old-untagged", ago(20)), RegistryImage("new-untagged", ago(1)), RegistryImage("prod", ago(30), ("prod-2024",)),
              RegistryImage("dev", ago(30), ("dev-1",))]
    policy = {"rules": [rule(1, status="untagged", count="sinceImagePushed", number=14), rule(2, patterns=["prod*"], number=100),
                        rule(3, status="any", count="sinceImagePushed", number=7)]}
    assert evaluate(policy, images, NOW) == {"old-untagged", "dev"}


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([rule(1, status="any"), rule(2, prefixes=["a"])], "rule 1: a rule with tagStatus any must have the highest rulePriority"),
        ([rule(1)], "rule 1: tagStatus tagged needs tagPrefixList or tagPatternList, not both"),
        ([rule(1, status="untagged", prefixes=["a"])], "rule 1: tagStatus untagged takes no tag list"),
        ([rule(1, status="untagged"), rule(2, status="untagged")], "only one rule may select untagged images"),
        ([rule(1, prefixes=["a"]), rule(1, prefixes=["b"])], "rule priorities must be unique: [1, 1]"),
        ([rule(1, prefixes=["a"], number=0)], "rule 1: countNumber must be a positive integer"),
    ],
)
def test_policies_ecr_would_refuse_are_refused(rules, message):
    with pytest.raises(PolicyError, match="^" + message.replace("[", r"\[").replace("]", r"\]") + "$"):
        evaluate({"rules": rules}, [], NOW)


# --- 100 staging builds, prod promoted every 7th ------------------------------------------------

BUILDS, PROMOTE_EVERY, LEFTOVER_EVERY = 100, 7, 10


def _digest(*parts) -> str:
    return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def history(policy: dict, *, tag_releases: bool) -> tuple[dict[str, RegistryImage], list[str], str]:
    """Staging's www repository after 100 daily builds, the policy applied after each (ECR within a
    day of a change). Each build pushes its test stage under the one mutable tag, `build-cache`
    (which leaves the previous cache image untagged), and its release stage under its content tag.
    Returns the images left, every digest prod ran, and staging's current one."""
    repository: dict[str, RegistryImage] = {}
    prod_ran: list[str] = []
    start = NOW - timedelta(days=BUILDS)
    for build in range(1, BUILDS + 1):
        pushed = start + timedelta(days=build)
        for key, image in list(repository.items()):
            if CACHE_TAG in image.tags:
                repository[key] = RegistryImage(image.digest, image.pushed_at, tuple(t for t in image.tags if t != CACHE_TAG))
        cache = _digest("www-test", build)
        repository[cache] = RegistryImage(cache, pushed, (CACHE_TAG,))
        digest = _digest("www", build)
        repository[digest] = RegistryImage(digest, pushed, (hashlib.sha256(str(build).encode()).hexdigest()[:16],))
        if build % LEFTOVER_EVERY == 0:  # a push that left an untagged manifest behind
            leftover = _digest("leftover", build)
            repository[leftover] = RegistryImage(leftover, pushed)
        if build % PROMOTE_EVERY == 0:  # prod promotes what staging runs now (make promote)
            prod_ran.append(digest)
            if tag_releases:
                image = repository[digest]
                repository[digest] = RegistryImage(digest, image.pushed_at, (*image.tags, release_tag("prod", digest)))
        for expired in evaluate(policy, repository.values(), pushed + timedelta(hours=12)):
            del repository[expired]
    return repository, prod_ran, _digest("www", BUILDS)


def test_every_digest_a_stack_runs_survives_100_builds():
    policy = lifecycle_policy(keep_releases=20, untagged_expiry_days=3)
    left, prod_ran, staging_runs = history(policy, tag_releases=True)
    assert len(prod_ran) == 14
    assert set(prod_ran) <= set(left), "every digest prod ran, so a rollback pulls too"
    assert staging_runs in left
    # The build cache: the latest build's test stage, once; the ones it replaced expire untagged.
    assert [image.digest for image in left.values() if CACHE_TAG in image.tags] == [_digest("www-test", BUILDS)]
    # Besides the releases and the cache, the newest images only: 20 counted, the releases among them included.
    builds = sorted((image for image in left.values()
                     if image.tags and CACHE_TAG not in image.tags and not any(t.startswith("release-") for t in image.tags)),
                    key=lambda image: image.pushed_at)
    newest_twenty = sorted(left.values(), key=lambda image: image.pushed_at)[-20:]
    assert set(image.digest for image in builds) <= {image.digest for image in newest_twenty}
    assert len(left) == 14 + 1 + len(builds) + sum(1 for image in left.values() if not image.tags)
    # No untagged image outlives its 3 days.
    assert all(image.pushed_at >= NOW - timedelta(days=4) for image in left.values() if not image.tags)


def test_without_the_release_rule_prods_digest_expires_after_twenty_builds():
    """Issue 13's outage: the keep-20 rule alone expires what prod pinned, and a scale-out cannot pull."""
    policy = lifecycle_policy(keep_releases=20, untagged_expiry_days=3)
    policy["rules"] = [r for r in policy["rules"] if r["selection"].get("tagPrefixList") != ["release-"]]
    left, prod_ran, _ = history(policy, tag_releases=True)
    assert prod_ran[0] not in left and prod_ran[-1] in left
    assert sum(digest in left for digest in prod_ran) < len(prod_ran) / 2


def test_release_tags_are_one_per_stack_and_digest():
    digest = "sha256:" + "ab12" * 16
    assert release_tag("prod", digest) == "release-prod-ab12ab12ab12"
