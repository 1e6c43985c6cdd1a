"""The whole program, run offline on each real stack file."""

from __future__ import annotations


import pytest

from showrunner import engine, mocks, preview
from showrunner.mocks import SECRET
from showrunner_components.state.contract import StateEndpoints
from tests.conftest import PROJECT_DIR, STACKS, by_type, one


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_secret_becomes_a_securestring_under_the_stack_key(stack_run, stack):
    run = stack_run(stack)
    key = one(run, "aws:kms/key:Key", "secrets-key")
    assert key.inputs["enableKeyRotation"] is True
    parameters = {p.inputs["name"]: p.inputs for p in by_type(run, "aws:ssm/parameter:Parameter") if p.inputs.get("type") == "SecureString"}
    expected = {
        f"/showrunner/{stack}/{service}/{secret}"
        for service, spec in run.settings.services.items()
        for secret in spec.secrets
    }
    assert expected and expected <= set(parameters)
    for name in expected:
        assert parameters[name]["value"] is SECRET
        assert parameters[name]["keyId"].startswith("arn:aws:kms:")


@pytest.mark.parametrize("stack", STACKS)
def test_preview_json_has_the_pulumi_preview_shape_and_no_ciphertext(stack_run, stack):
    document = preview.preview_document(stack_run(stack))
    text = preview.dumps(document)
    assert document["changeSummary"] == {"create": len(document["steps"])}
    stack_step, *steps = document["steps"]
    assert stack_step["newState"]["type"] == "pulumi:pulumi:Stack"
    for step in steps:
        assert step["op"] == "create" and step["urn"] == step["newState"]["urn"]
        assert {"type", "inputs", "parent"} <= set(step["newState"])
    assert '"[secret]"' in text
    stack_file = (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()
    ciphertexts = [line.split("secure:")[1].strip() for line in stack_file.splitlines() if "secure:" in line]
    assert ciphertexts and not any(c in text for c in ciphertexts)


def test_two_runs_write_byte_identical_json():
    first = preview.dumps(preview.preview_document(engine.run_stack(PROJECT_DIR, "prod")))
    second = preview.dumps(preview.preview_document(engine.run_stack(PROJECT_DIR, "prod")))
    assert first == second


def test_a_function_nobody_mocked_fails_the_run_and_names_it(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
    (tmp_path / "Pulumi.staging.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text("import pulumi_aws as aws\naws.ec2.get_internet_gateway(internet_gateway_id='igw-1')\n")
    with pytest.raises(engine.OfflineRunError) as caught:
        engine.run_stack(tmp_path, "staging")
    assert "aws:ec2/getInternetGateway:getInternetGateway" in str(caught.value)
    assert "does not mock" in str(caught.value)


def test_the_tree_shows_which_resources_a_mistaken_change_cannot_destroy(stack_run):
    prod = preview.render_tree(stack_run("prod"))
    mysql = next(line for line in prod.splitlines() if " state-mysql " in line and "rds:Instance" in line)
    assert mysql.split()[-5:] == ["create", "[protect,", "retain", "on", "delete]"]
    staging = preview.render_tree(stack_run("staging"))
    mysql = next(line for line in staging.splitlines() if " state-mysql " in line and "rds:Instance" in line)
    assert mysql.split()[-1] == "create", "staging opts out of protect through state.protect: false"


RENAMED = {
    "secrets": ("ServiceSecrets", "showrunner:secrets:ServiceSecrets"),
    "network": ("Network", "showrunner:network:Network"),
    "state": ("State", "showrunner:state:State"),
    "web": ("LoadBalancer", "showrunner:load_balancer:LoadBalancer"),
    "www": ("Fleet", "showrunner:fleet:Fleet"),
    "ops": ("Fleet", "showrunner:fleet:Fleet"),
}


def test_components_take_the_index_token_and_alias_the_old_one(monkeypatch):
    """`showrunner:index:<Name>` is what the component provider serves; the alias keeps every
    existing stack's components and children where they are (no replacement)."""
    aliases = {}
    register = mocks.RecordingMonitor.RegisterResource

    def spy(self, request):
        if request.type.startswith("showrunner:"):
            aliases[request.name] = (request.type, [a.spec.type for a in request.aliases])
        return register(self, request)

    monkeypatch.setattr(mocks.RecordingMonitor, "RegisterResource", spy)
    engine.run_stack(PROJECT_DIR, "staging")
    for name, (component, old) in RENAMED.items():
        assert aliases[name] == (f"showrunner:index:{component}", [old]), name


@pytest.mark.parametrize("stack", STACKS)
def test_state_endpoints_export_names_every_store(stack_run, stack):
    exported = stack_run(stack).outputs["state_endpoints"]
    assert sorted(exported) == sorted(StateEndpoints.__annotations__)
    assert all(value is not None for value in exported.values()), "both stacks define every store"


@pytest.mark.parametrize("stack", STACKS)
def test_each_route_s_alarms_rule_and_fleet_depend_on_its_own_target_group_only(stack_run, stack):
    """A value picked out of the load balancer's map of target groups depends on every route's
    group; the program reads each route's own group, so a service's alarms, its listener rule, its
    scaling policy and its fleet's group wait on (and list) only that route's."""
    run = stack_run(stack)
    groups = {r.urn: r.name.removeprefix("web-") for r in by_type(run, "aws:lb/targetGroup:TargetGroup")}
    routed = {name: service.fleet for name, service in run.settings.services.items() if service.route is not None}
    assert len(routed) >= 2 and set(groups.values()) == set(routed)
    checked = 0
    for resource in run.resources:
        routes = {groups[urn] for urn in resource.dependencies if urn in groups}
        if not routes:
            continue
        if resource.type == "aws:cloudwatch/dashboard:Dashboard":
            expected = set(routed)  # the dashboard shows every route
        elif resource.type == "aws:autoscaling/group:Group":
            expected = {name for name, fleet in routed.items() if resource.name == f"{fleet}-asg"}
        else:
            expected = {name for name in routed if f"-{name}-" in f"-{resource.name}-"}
        assert routes == expected, f"{resource.type} {resource.name} depends on the target groups of {sorted(routes)}"
        checked += 1
    assert checked >= 4 * len(routed)
