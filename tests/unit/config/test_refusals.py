"""The stack files a new user writes, fed to `showrunner preview` as they would be: each refused before any
resource is registered, exit 2, one line per problem with its file or path, no traceback, nothing written.

Every case is the real prod stack file with one mistake in it (issue 12 lists them).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from showrunner.cli import main
from showrunner.config import ConfigError, stackfile
from showrunner.config.loading import load_config
from tests.conftest import PROJECT_DIR

PROD = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()


def line_of(needle: str) -> int:
    """The line of prod's file where `needle` starts."""
    return PROD[: PROD.index(needle)].count("\n") + 1


END = PROD.count("\n") + 1
"""The line a text appended to prod's file starts on."""


def prod_data() -> dict:
    return yaml.safe_load(PROD)


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def edited(change: Callable[[dict], None]) -> str:
    data = prod_data()
    change(data["config"])
    return yaml.safe_dump(data, sort_keys=False)


def preview(path: Path, capsys, tmp_path: Path) -> tuple[int, list[str]]:
    out = tmp_path / "out.json"
    code = main(["preview", "--stack", "prod", "--config-file", str(path), "--json", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if code == 2:
        assert not out.exists(), "a refused stack writes nothing"
        assert captured.out == ""
    return code, captured.err.splitlines()


def refused(path: Path, capsys, tmp_path: Path) -> list[str]:
    code, lines = preview(path, capsys, tmp_path)
    assert code == 2, lines
    headline, *problems = lines
    assert headline.startswith("error: ")
    return [line.strip() for line in problems] if problems else [headline.removeprefix("error: ")]


def _env(config: dict) -> dict:
    return config["showrunner:services"]["django"]["env"]


TEXT_CASES = [
    ("a date", PROD.replace("refresh_key: 2026-W48", "refresh_key: 2026-11-23"), [
        f'{{file}}:{line_of("refresh_key")}: showrunner:image_pipeline.refresh_key: 2026-11-23 is a date to YAML, not text; quote it ("2026-11-23") if it is text',
        'showrunner:image_pipeline.refresh_key: "2026-11-23" is not an ISO week like "2026-W48"',
    ]),
    ("an env key that is a number and one that is a boolean",
     PROD.replace("        DJANGO_ENVIRON: PROD\n        ALLOWED_HOSTS", "        8000: x\n        ON: y\n        DJANGO_ENVIRON: PROD\n        ALLOWED_HOSTS"), [
        f'{{file}}:{line_of("DJANGO_ENVIRON: PROD")}: showrunner:services.django.env: the key 8000 is a number to YAML; keys are text: quote it ("8000")',
        f'{{file}}:{line_of("DJANGO_ENVIRON: PROD") + 1}: showrunner:services.django.env: ON is a boolean to YAML 1.1 and text to the Pulumi CLI; write true or false, or quote it ("ON") if it is text',
    ]),
    ("a top-level key that is a number", PROD + "42: x\n", [
        f'{{file}}:{END}: the key 42 is a number to YAML; keys are text: quote it ("42")',
    ]),
    ("a duplicated top-level key", PROD + "  showrunner:fleets:\n    www: {min_size: 1, max_size: 2}\n", [
        f"{{file}}:{END}: showrunner:fleets: is given twice (lines {line_of('  showrunner:fleets:')} and {END}); YAML keeps only the last, so keep one",
    ]),
    ("an unquoted base-60 port", PROD.replace('    django:\n      env:', "    catalog:\n      ports: [8080:30]\n    django:\n      env:"), [
        f'{{file}}:{line_of("    django:") + 1}: showrunner:services.catalog.ports[0]: 8080:30 is a base-60 number to YAML 1.1 (a HOST:CONTAINER port must be text); quote it ("8080:30") if it is text',
    ]),
    ("Latin-1", PROD.replace("# Prod:", "# Prod é:").encode("latin-1"), [
        "{file}:1: is not UTF-8 (it holds the byte 0xE9, as Latin-1 or Windows-1252 would write é); save it as UTF-8",
    ]),
    ("UTF-16", PROD.encode("utf-16"), ["{file}: is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"]),
    ("500 levels deep", PROD + "  showrunner:tags: " + "[" * 500 + "]" * 500 + "\n", [
        f"{{file}}:{END}: nests deeper than 32 levels; a stack file needs no more than a few",
    ]),
    ("5 MB", PROD + "#" + "x" * 5_000_000 + "\n", [f"{{file}}: is {len(PROD) + 5_000_002:,} bytes; a stack file is at most 262,144 bytes"]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in TEXT_CASES], ids=[c[0] for c in TEXT_CASES])
def test_yaml_level_problems(text, expected, tmp_path, capsys):
    path = write(tmp_path, text)
    assert refused(path, capsys, tmp_path) == [line.format(file=path) for line in expected]


def _route(paths, priority, name="search"):
    def change(config):
        config["showrunner:services"][name] = {
            "type": "web", "image": "micro", "command": "/micro", "fleet": "micro", "ports": ["8081:8080"],
            "route": {"paths": paths, "priority": priority},
        }
    return change


def _set(path: str, value):
    def change(config):
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return change


def _rename(old: str, new: str):
    def change(config):
        config[new] = config.pop(old)
    return change


def _all(*changes):
    def change(config):
        for one in changes:
            one(config)
    return change


CASES = [
    ("a misspelt namespace", _rename("showrunner:state", "showrunnr:state"), [
        'showrunnr:state: the namespace "showrunnr" is read by nothing in this program (it would be ignored); did you mean "showrunner:state"?',
    ]),
    ("a misspelt provider key", _set("aws:regoin", "eu-west-1"), [
        'aws:regoin: is not a setting of the aws provider; did you mean "region"?',
    ]),
    ("a misspelt section", _rename("showrunner:fleets", "showrunner:fleet"), [
        'showrunner:fleet: is not a known key; did you mean "fleets"?',
    ]),
    ("a misspelt key deep down", _set("showrunner:fleets.www.scheduled.weekend-peak.timezone", "UTC"), [
        'showrunner:fleets.www.scheduled.weekend-peak.timezone: is not a known key; did you mean "time_zone"?',
    ]),
    ("max_size 100000000000", _set("showrunner:fleets.www.max_size", 100_000_000_000), [
        "showrunner:fleets.www.max_size: 100000000000 must be less than or equal to 1000",
    ]),
    ("a second service on the same path at a lower priority", _route(["/api/catalog/*"], 20), [
        'showrunner:services.search.route: can never receive a request: service "catalog" (priority 10, paths /api/catalog/*) '
        "matches everything it matches first; give it a priority below 10, or narrower paths or hosts than catalog's",
    ]),
    ("a narrower path behind a catch-all", _route(["/api/search/*"], 2000), [
        'showrunner:services.search.route: can never receive a request: service "django" (priority 1000, paths /*) '
        "matches everything it matches first; give it a priority below 1000, or narrower paths or hosts than django's",
    ]),
    ("time_zone: localtime", _set("showrunner:fleets.www.scheduled.weekend-peak.time_zone", "localtime"), [
        'showrunner:fleets.www.scheduled.weekend-peak.time_zone: "localtime" is not an IANA time zone like "America/New_York" or "UTC"',
    ]),
    ("a golden-AMI schedule cron(75 30 ? * sun *)", _set("showrunner:golden_ami.schedule", "cron(75 30 ? * sun *)"), [
        'showrunner:golden_ami.schedule: "cron(75 30 ? * sun *)" is not an AWS cron expression: its minutes field "75" is not a value, range or step within 0-59',
    ]),
    ("a crontab alias as an Auto Scaling recurrence", _set("showrunner:fleets.www.scheduled.weekend-peak.recurrence", "@weekly"), [
        'showrunner:fleets.www.scheduled.weekend-peak.recurrence: "@weekly" is a crontab alias, which Auto Scaling does not read; write its five fields ("0 0 * * 0")',
    ]),
    ("a routed service name over 20 characters", _route(["/x/*"], 30, name="search-and-recommendations"), [
        "showrunner:services.search-and-recommendations: its name makes a target group name of 38 characters, over AWS's 32 "
        "(Elastic Load Balancing API, CreateTargetGroup: Name, at most 32 characters); shorten the name by 6 characters",
    ]),
    ("a tag key with the aws: prefix", _set("showrunner:tags", {"aws:owner": "me"}), [
        "showrunner:tags.aws:owner: the aws: prefix is reserved for AWS's own tags; use another key",
    ]),
    ("more than 50 tags with the program's own", _set("showrunner:tags", {f"T{i}": "x" for i in range(42)}), [
        "showrunner:tags: 44 tags (with aws:defaultTags) plus the 7 the program adds (Environment, Production, Name, Service, Tier, Image, Fleet) "
        "make 51; AWS allows 50 per resource, so keep at most 43 of your own",
    ]),
    ("a certificate in another region", _set("showrunner:load_balancer.certificate_arn", "arn:aws:acm:eu-west-1:123456789012:certificate/9a1d7c3e-prod"), [
        "showrunner:load_balancer.certificate_arn: the certificate is in eu-west-1, but the stack deploys to us-east-1 (aws:region); "
        "an ALB takes only a certificate of its own region: request or import one there",
    ]),
    ("a secure: value in a service env", lambda c: _env(c).update(TOKEN={"secure": "v1:abc:def"}), [
        "showrunner:services.django.env.TOKEN: is a secret, but only showrunner:secrets holds secrets (here the program would read it as "
        "plain text); set it with pulumi config set --secret --path 'showrunner:secrets.django.TOKEN' <value>, and list TOKEN in "
        "showrunner:services.django.secrets",
    ]),
    ("a secure: value in tags", _set("showrunner:tags", {"Owner": {"secure": "v1:abc:def"}}), [
        "showrunner:tags.Owner: is a secret, but only showrunner:secrets holds secrets (here the program would read it as plain text); "
        "set it with pulumi config set --secret --path 'showrunner:secrets.<service>.<NAME>' <value>, listed in its service's `secrets`",
    ]),
    ("literal credentials in env", lambda c: _env(c).update(
        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", DATABASE_URL="mysql://root:pw@db/x", DEPLOY_KEY_ID="AKIAIOSFODNN7EXAMPLE"), [
        "showrunner:services.django.env.AWS_SECRET_ACCESS_KEY: holds a literal secret in plain text; set it with pulumi config "
        "set --secret --path 'showrunner:secrets.django.AWS_SECRET_ACCESS_KEY' <value> and list AWS_SECRET_ACCESS_KEY in showrunner:services.django.secrets instead",
        "showrunner:services.django.env.DATABASE_URL: holds a credential inside a URL in plain text; set it with pulumi config "
        "set --secret --path 'showrunner:secrets.django.DATABASE_URL' <value> and list DATABASE_URL in showrunner:services.django.secrets instead",
        "showrunner:services.django.env.DEPLOY_KEY_ID: holds an AWS access key id in plain text; set it with pulumi config "
        "set --secret --path 'showrunner:secrets.django.DEPLOY_KEY_ID' <value> and list DEPLOY_KEY_ID in showrunner:services.django.secrets instead",
    ]),
    ("prod with protect: false and an unknown key", _all(_set("showrunner:state.protect", False), _set("showrunner:state.redis", {})), [
        "showrunner:state.redis: is not a known key; expected one of: cache, mysql, protect, queues, tables",
        'showrunner:state.protect: stack "prod" declares showrunner:production: true, so its data stays protected; '
        "remove protect: false (or declare showrunner:production: false if this stack is not production)",
    ]),
    ("an unquoted float where text belongs", _set("showrunner:state.mysql.engine_version", 8.0), [
        "showrunner:state.mysql.engine_version: expected a string, got 8.0 (YAML read it as a number; quote it)",
    ]),
    ("a slow start AWS refuses", _set("showrunner:load_balancer.slow_start_seconds", 10), [
        "showrunner:load_balancer.slow_start_seconds: 10 is not 0 (off) or 30-900 seconds, what ALB allows for slow start",
    ]),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_level_problems(change, expected, tmp_path, capsys):
    assert refused(write(tmp_path, edited(change)), capsys, tmp_path) == expected


def test_the_headline_counts_in_words(tmp_path, capsys):
    path = write(tmp_path, edited(_set("showrunner:fleets.www.max_size", 100_000_000_000)))
    assert preview(path, capsys, tmp_path)[1][0] == "error: invalid configuration for stack prod (1 problem):"


def test_production_comes_from_the_file_not_the_name(tmp_path, capsys):
    """A copy of prod under another name is still production; staging's unprotected state is fine."""
    path = tmp_path / "Pulumi.prd-eu.yaml"
    path.write_text(edited(_set("showrunner:state.protect", False)))
    code = main(["preview", "--stack", "prd-eu", "--config-file", str(path)])
    assert code == 2
    assert capsys.readouterr().err.splitlines()[1:] == [
        '  showrunner:state.protect: stack "prd-eu" declares showrunner:production: true, so its data stays protected; '
        "remove protect: false (or declare showrunner:production: false if this stack is not production)"
    ]


def test_a_production_stack_tags_every_resource_for_the_policy_pack(stack_run):
    from showrunner_components.tagging import PRODUCTION_TAG

    tagged = [r for r in stack_run("prod").resources if isinstance(r.inputs.get("tags"), dict)]
    assert tagged and all(r.inputs["tags"].get(PRODUCTION_TAG) == "true" for r in tagged)
    assert not any(PRODUCTION_TAG in (r.inputs.get("tags") or {}) for r in stack_run("staging").resources if isinstance(r.inputs.get("tags"), dict))


def test_every_tag_the_program_adds_is_counted(stack_run):
    """The 50-tag check reserves PROGRAM_TAG_KEYS; no resource carries a key beyond those and the configured ones."""
    from showrunner_components.tagging import PROGRAM_TAG_KEYS

    for stack in ("staging", "prod"):
        run = stack_run(stack)
        configured = set(run.settings.tags)
        for resource in run.resources:
            tags = resource.inputs.get("tags")
            keys = {t["key"] for t in tags} if isinstance(tags, list) else set(tags or {})
            assert keys - configured <= set(PROGRAM_TAG_KEYS), (resource.name, keys - configured - set(PROGRAM_TAG_KEYS))


def test_the_target_group_names_are_the_ones_the_check_derives(stack_run):
    from showrunner.config.checks import LOAD_BALANCER_LOGICAL_NAME

    groups = {r.name for r in stack_run("prod").resources if r.type == "aws:lb/targetGroup:TargetGroup"}
    routed = {n for n, s in stack_run("prod").settings.services.items() if s.route is not None}
    assert groups == {f"{LOAD_BALANCER_LOGICAL_NAME}-{n}" for n in routed}


# --- null removes, in every section the README says it does -----------------------------------------


def test_null_removes_a_service_its_fleet_and_its_secrets(tmp_path, capsys):
    def change(config):
        config["showrunner:services"]["clearsessions"] = None
        config["showrunner:fleets"]["ops"] = None
        config["showrunner:secrets"]["clearsessions"] = None

    out = tmp_path / "out.json"
    assert main(["preview", "--stack", "prod", "--config-file", str(write(tmp_path, edited(change))), "--json", str(out)]) == 0
    names = {step["newState"]["inputs"].get("name") for step in json.loads(out.read_text())["steps"]}
    assert "/showrunner/prod/clearsessions/SECRET_KEY" not in names
    assert "/showrunner/prod/django/SECRET_KEY" in names
    assert "ops-asg" not in capsys.readouterr().out


def test_removing_only_the_service_says_what_else_to_remove(tmp_path, capsys):
    path = write(tmp_path, edited(lambda c: c["showrunner:services"].update(clearsessions=None)))
    assert refused(path, capsys, tmp_path) == [
        "showrunner:secrets.clearsessions.SECRET_KEY: is set but no service lists it in `secrets`; "
        "remove it (showrunner:secrets: {clearsessions: null} drops them all) or add it to showrunner:services.clearsessions.secrets",
        "showrunner:fleets.ops: no service runs on this fleet; remove it (showrunner:fleets: {ops: null}) or assign a service",
    ]


def test_null_removes_a_whole_section_and_a_nested_key(tmp_path, capsys):
    def change(config):
        config["showrunner:delivery"] = None  # Pulumi.yaml defines it: null drops it here
        config["showrunner:state"]["cache"] = None
        config["showrunner:services"]["django"]["uses"] = ["mysql", "queues"]
        config["showrunner:services"]["celery"]["uses"] = ["mysql", "queues"]

    out = tmp_path / "out.json"
    assert main(["preview", "--stack", "prod", "--config-file", str(write(tmp_path, edited(change))), "--json", str(out)]) == 0
    types = {step["newState"]["type"] for step in json.loads(out.read_text())["steps"]}
    assert "aws:elasticache/replicationGroup:ReplicationGroup" not in types
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider" not in types


# --- secrets never echoed -------------------------------------------------------------------------------


SECRET = "hunter2-correct-horse-battery"


def _cli_config(change) -> tuple[stackfile.Project, dict[str, str]]:
    project = stackfile.load_project(PROJECT_DIR)
    values = prod_data()["config"]
    change(values)
    config, _ = stackfile.cli_config(project, {stackfile.qualify(project.name, k): v for k, v in values.items()})
    return project, config


@pytest.mark.parametrize(
    ("key", "change"),
    [
        ("showrunner:services", lambda c: c["showrunner:services"]["django"].update(health=SECRET)),
        ("showrunner:services", lambda c: c["showrunner:services"]["django"].update(ports=[SECRET])),
        ("showrunner:services", lambda c: c["showrunner:services"]["django"]["env"].update(TOKEN=f"mysql://u:{SECRET}@db/x")),
        ("showrunner:tags", lambda c: c.update({"showrunner:tags": {"Owner": SECRET + "!{}"}})),
        ("showrunner:fleets", lambda c: c["showrunner:fleets"]["www"].update(min_size=SECRET)),
        ("showrunner:secrets", lambda c: c["showrunner:secrets"]["django"].update(SECRET_KEY=SECRET * 200)),
    ],
)
def test_under_the_pulumi_cli_a_decrypted_secret_is_never_echoed(key, change):
    """The CLI hands the program decrypted values and marks the whole key secret (`--secret --path`)."""
    project, config = _cli_config(change)
    with pytest.raises(ConfigError) as caught:
        load_config(project, config, stack="prod", secret_keys=[key, "showrunner:secrets"])
    assert caught.value.problems
    assert not any(SECRET in line or SECRET[:8] in line for line in caught.value.problems), caught.value.problems
    if key != "showrunner:secrets":
        section = key.split(":")[1]
        assert any(line.startswith(f"showrunner:{section}: is a secret, but only showrunner:secrets holds secrets") for line in caught.value.problems)


def test_a_secret_value_is_never_in_the_preview_of_a_good_stack(stack_run):
    secrets = json.dumps(yaml.safe_load(PROD)["config"]["showrunner:secrets"])
    run = stack_run("prod")
    blob = json.dumps([r.inputs for r in run.resources], default=str)
    assert "v1:cHJvZC1wbGFjZWhvbGRlcg" in secrets and "v1:cHJvZC1wbGFjZWhvbGRlcg" not in blob


def test_deep_copies_do_not_leak_between_cases():
    assert copy.deepcopy(prod_data()) == prod_data()


# --- user data: computed at validation --------------------------------------------------------------


def test_an_oversized_fleet_is_refused_before_anything_is_registered(tmp_path, capsys):
    import random
    import string

    chooser = random.Random(12)
    noise = {f"K{i}": "".join(chooser.choices(string.ascii_letters, k=300)) for i in range(80)}
    lines = refused(write(tmp_path, edited(lambda c: _env(c).update(noise))), capsys, tmp_path)
    assert len(lines) == 1
    assert re.fullmatch(
        r"showrunner:fleets\.www: user data is \d{5} bytes even gzipped; EC2 allows 16384\. Move some services to another fleet", lines[0]
    ), lines


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_validation_renders_the_user_data_the_fleet_renders(stack, stack_run):
    """The same renderers on the same specs: only the placeholder ids differ from the preview's."""
    import base64
    import gzip

    from showrunner import engine
    from showrunner.config.checks import fleet_cloud_configs
    from showrunner.config.loading import parse

    project, config, _, _ = engine.load_stack(PROJECT_DIR, stack)
    values = stackfile.namespace_values(project, config)
    estimated = fleet_cloud_configs(parse(values, stack, region="us-east-1")[0])
    run = stack_run(stack)
    for template in (r for r in run.resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"):
        fleet = template.name.removesuffix("-lt")
        raw = base64.b64decode(template.inputs["userData"])
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
        assert abs(len(text) - len(estimated[fleet])) <= len(text) * 0.01, fleet
        assert text.splitlines()[:3] == estimated[fleet].splitlines()[:3]
