"""The replacement table: it covers what the stacks create, in pulumi-aws's own input names."""

from __future__ import annotations

import importlib.machinery
import importlib.util

import pytest

from showrunner import replacement
from tests.conftest import PROJECT_DIR, STACKS


def _generator():
    loader = importlib.machinery.SourceFileLoader("replacement_table_tool", str(PROJECT_DIR / "tools" / "replacement-table"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


@pytest.mark.parametrize("stack", STACKS)
def test_every_input_the_stacks_set_is_classified(stack_run, stack):
    unknown = sorted(
        f"{r.type}.{key}"
        for r in stack_run(stack).resources
        if r.custom
        for key in r.inputs
        if replacement.classify(r.type, key) == replacement.UNKNOWN
    )
    assert unknown == [], "add these to tools/replacement-table (RENAMES or OWN) and run make replacement-table"


def test_the_table_names_only_real_pulumi_inputs_and_says_where_it_comes_from():
    generator = _generator()
    table = replacement.table()
    assert set(table["types"]) == set(generator.TYPES)
    for type_token, entry in table["types"].items():
        inputs = set(generator.pulumi_inputs(type_token))
        assert set(entry["replace"]) | set(entry["update"]) <= inputs, type_token
        assert not set(entry["replace"]) & set(entry["update"]), type_token
        assert set(entry["reasons"]) <= set(entry["replace"]) | set(entry["update"]), type_token
    assert "createOnlyProperties" in table["source"]["cloudformation"]


def test_the_committed_table_is_what_the_pinned_cfn_lint_and_the_aws_tiers_type_table_give():
    # One mapping of pulumi types to CloudFormation types (tests/aws/data/resource-types.json) and
    # one pinned cfn-lint: a bump of either shows here until `make replacement-table` is run.
    generator = _generator()
    assert generator.table() == replacement.table(), "the table is stale: run `make replacement-table`"
    assert f"cfn-lint {generator.cfn_lint_version()} " in replacement.table()["source"]["cloudformation"]


def test_classification_follows_cloudformation_and_says_unknown_for_what_it_does_not_cover():
    rds = "aws:rds/instance:Instance"
    assert replacement.classify(rds, "storageEncrypted") == replacement.REPLACE
    assert replacement.classify(rds, "identifier") == replacement.REPLACE  # DBInstanceIdentifier
    assert replacement.classify(rds, "instanceClass") == replacement.UPDATE  # DBInstanceClass
    assert replacement.classify(rds, "skipFinalSnapshot") == replacement.UPDATE  # a provider-side setting
    assert replacement.classify("aws:ec2/launchTemplate:LaunchTemplate", "userData{}.write_files[0].content") == replacement.UPDATE
    assert replacement.classify("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "fromPort") == replacement.UPDATE
    assert replacement.classify(rds, "noSuchInput") == replacement.UNKNOWN
    assert replacement.classify("aws:lambda/function:Function", "runtime") == replacement.UNKNOWN
