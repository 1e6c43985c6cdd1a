"""The CrossGuard pack itself: started the way the Pulumi CLI starts it, asked over gRPC.

It must report exactly what the offline checker reports for the same resources, so that a
clean `showrunner policy` run means a clean `pulumi preview --policy-pack policies`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from showrunner import policy
from tests.policy.cases import CASES

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="module")
def analyzer():
    process = subprocess.Popen([sys.executable, "-u", "__main__.py"], cwd=PACK_DIR, stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _request_resource(state: dict) -> analyzer_pb2.AnalyzerResource:
    properties = struct_pb2.Struct()
    properties.update(state["inputs"])
    return analyzer_pb2.AnalyzerResource(
        type=state["type"],
        urn=state["urn"],
        name=state["urn"].rsplit("::", 1)[-1],
        properties=properties,
        options=analyzer_pb2.AnalyzerResourceOptions(protect=state.get("protect", False)),
        dependencies=state.get("dependencies", []),
    )


def test_pack_describes_every_rule(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "showrunner-policies"
    assert sorted(p.name for p in info.policies) == sorted(r.name for r in policy.rules().RULES)
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels["tags-required"] == analyzer_pb2.ADVISORY
    assert levels["iam-destructive-ec2-tag-scoped"] == analyzer_pb2.MANDATORY


@pytest.mark.parametrize("states", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_pack_agrees_with_offline_checker(analyzer, states):
    resources = [_request_resource(s) for s in states]
    from_pack = []
    for resource in resources:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type, properties=resource.properties, urn=resource.urn, name=resource.name, options=resource.options
        )
        for d in analyzer.Analyze(request).diagnostics:
            from_pack.append((d.policyName, d.urn or resource.urn, d.message))
    for d in analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)).diagnostics:
        from_pack.append((d.policyName, d.urn, d.message))
    offline = policy.check_document({"steps": [{"op": "create", "newState": s} for s in states]})
    descriptions = {r.name: r.description for r in policy.rules().RULES}
    # The engine shows a violation as the policy's description, then the message.
    expected = [(v.policy, v.urn, f"{descriptions[v.policy]}\n{v.message}") for v in offline.violations]
    assert sorted(from_pack) == sorted(expected)


def test_the_rules_need_only_the_standard_library():
    # -S: no site-packages, so neither pulumi nor pulumi_policy can be imported.
    probe = "import sys, rules, rules.crossguard; print(len(rules.RULES), 'pulumi_policy' in sys.modules)"
    result = subprocess.run([sys.executable, "-S", "-c", probe], cwd=PACK_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(policy.rules().RULES)), "False"]
