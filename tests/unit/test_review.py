"""The preview and the diff on real stack edits, as a reviewer reads them (issue 15's "done when")."""

from __future__ import annotations

import base64
import gzip
import json
import os
import pty
import re
import shutil
import subprocess
import textwrap

import pytest
import yaml

from showrunner import cli, diff, engine, policy, preview
from tests.conftest import PROJECT_DIR

PROD_FILE = PROJECT_DIR / "Pulumi.prod.yaml"
DJANGO_CIPHERTEXT = "v1:cHJvZC1wbGFjZWhvbGRlcg==:ZGphbmdvLXNlY3JldC1rZXktcGxhY2Vob2xkZXI="


@pytest.fixture(scope="module")
def prod_document(stack_run) -> dict:
    return preview.preview_document(stack_run("prod"))


def _edited(tmp_path, edit) -> engine.StackRun:
    """A run of prod with its stack file edited by `edit(text) -> text`."""
    edited = edit(PROD_FILE.read_text())
    assert edited != PROD_FILE.read_text(), "the edit changed nothing"
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(edited)
    return engine.run_stack(PROJECT_DIR, "prod", path)


def _diff(base_document: dict, head_document: dict, **options) -> diff.Diff:
    return diff.diff(diff._load_document(base_document, "base"), diff._load_document(head_document, "head"), **options)


def test_renaming_the_prod_database_is_a_replace_of_a_protected_resource_called_out_first(tmp_path, prod_document):
    run = _edited(tmp_path, lambda t: t.replace("      backup_retention_days: 14\n", "      backup_retention_days: 14\n      database_name: shows\n"))
    result = _diff(prod_document, preview.preview_document(run))
    first = result.steps[0]
    assert (first.op, first.resource.name, first.replace_reasons) == ("replace", "state-mysql", ["dbName"])
    assert [s.op for s in result.steps[1:]] == ["update"] * 3, "the three fleets that read the name update their user data"
    text = diff.render_text(result)
    assert text.splitlines()[:5] == [
        "Diff of stack prod: 3 to update, 1 to replace, 207 unchanged, 1 output changed",
        "",
        "! aws:rds:Instance state-mysql is protected (`pulumi up` refuses to replace it until `protect` is lifted) and "
        "retained on delete (the old one stays in AWS, outside the stack)",
        "",
        "+- aws:rds:Instance state-mysql  [replace: dbName]",
    ]
    assert '    dbName: "showrunner" → "shows"  [forces replacement]' in text


def test_the_rds_encryption_flip_is_a_replace_listed_first_in_text_markdown_and_json(stack_run, prod_document):
    """The database's `storageEncrypted: true → false` (a component edit; the stack file cannot ask
    for it): AWS replaces the instance, and its data with it."""
    head = json.loads(preview.dumps(prod_document))
    mysql = next(s for s in head["steps"] if s["newState"]["type"] == "aws:rds/instance:Instance")
    mysql["newState"]["inputs"]["storageEncrypted"] = False
    head["steps"].sort(key=lambda s: s["urn"] != mysql["urn"])
    head["steps"].reverse()  # the database last in the file: the diff must still list it first
    result = _diff(prod_document, head)
    assert [(s.op, s.resource.name) for s in result.steps] == [("replace", "state-mysql")]
    assert diff.render_text(result).splitlines()[4:6] == [
        "+- aws:rds:Instance state-mysql  [replace: storageEncrypted]",
        "    storageEncrypted: true → false  [forces replacement]",
    ]
    markdown = diff.render_markdown(result)
    assert markdown.index("> [!WARNING]\n> aws:rds:Instance state-mysql is protected") < markdown.index("#### Replaced (1)")
    assert "**+- `state-mysql`** `aws:rds:Instance` — replaced because of `storageEncrypted`" in markdown
    against = preview.preview_document(stack_run("prod"), diff._load_document(head, "base"))
    step = next(s for s in against["steps"] if s["urn"] == mysql["urn"])
    assert (step["op"], step["replaceReasons"], step["detailedDiff"]) == (
        "replace", ["storageEncrypted"], {"storageEncrypted": {"kind": "update-replace", "inputDiff": True}})
    assert against["changeSummary"] == {"replace": 1, "same": len(against["steps"]) - 1}


def test_a_changed_secret_shows_as_changed_and_nothing_reversible_is_written(tmp_path, prod_document):
    new_ciphertext = "v1:cHJvZC1wbGFjZWhvbGRlcg==:bmV3LWRqYW5nby1zZWNyZXQta2V5"
    run = _edited(tmp_path, lambda t: t.replace(DJANGO_CIPHERTEXT, new_ciphertext))
    head = preview.preview_document(run)
    result = _diff(prod_document, head)
    assert [(s.op, s.resource.name) for s in result.steps] == [("update", "secrets-django-secret-key")]
    assert diff.render_text(result) == (
        "Diff of stack prod: 1 to update, 210 unchanged\n\n~ aws:ssm:Parameter secrets-django-secret-key\n    value: [secret] changed\n"
    )
    written = preview.dumps(head) + preview.dumps(prod_document)
    for secret in (DJANGO_CIPHERTEXT, new_ciphertext, "new-django-secret-key", base64.b64encode(b"new-django-secret-key").decode()):
        assert secret not in written
    unchanged = _diff(prod_document, preview.preview_document(engine.run_stack(PROJECT_DIR, "prod")))
    assert unchanged.empty, "the same ciphertext is the same fingerprint, run after run"


def _units(document: dict, template: str) -> dict[str, str]:
    """The files a fleet's launch template writes at boot, decoded from its user data."""
    state = next(s["newState"] for s in document["steps"] if s["urn"].endswith(f"::{template}"))
    raw = base64.b64decode(state["inputs"]["userData"])
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
    return {f["path"]: f["content"] for f in yaml.safe_load(text)["write_files"]}


def test_a_new_service_shows_its_unit_in_full_in_text_and_markdown(tmp_path, prod_document):
    service = textwrap.indent(textwrap.dedent("""\
        mailer:
          type: worker
          image: www
          command: python -m mailer --port 2525
          fleet: worker
          env:
            SMTP_RELAY: smtp.example.net:587
        """), "    ")
    run = _edited(tmp_path, lambda t: t.replace("  showrunner:services:\n", "  showrunner:services:\n" + service))
    head = preview.preview_document(run)
    unit = _units(head, "worker-lt")["/etc/systemd/system/showrunner-mailer.service"]
    assert "showrunner-mailer.service" not in json.dumps(_units(prod_document, "worker-lt"))
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "SMTP_RELAY=smtp.example.net:587" in exec_start and "python -m mailer --port 2525" in exec_start
    result = _diff(prod_document, head)
    text, markdown = diff.render_text(result), diff.render_markdown(result)
    for line in unit.splitlines():
        assert f"      +{line}\n" in text
        assert f"\n+ {line}\n" in markdown
    assert "…" not in "".join(line for line in text.splitlines() if "ExecStart=" in line)


def test_the_counts_and_type_names_agree_across_tree_json_policy_and_diff(stack_run, prod_document):
    run = stack_run("prod")
    total = len(prod_document["steps"])
    assert prod_document["changeSummary"] == {"create": total}
    assert f"    + {total} to create\n" in preview.render_tree(run, prod_document)
    assert policy.summary(policy.check_document(prod_document)).endswith(f"passed on {total} resources\n")
    assert _diff(prod_document, prod_document).unchanged == total
    tree = preview.render_tree(run, prod_document)
    assert "├─ aws:autoscaling:Group " in tree and "aws:autoscaling/group:Group" not in tree
    head = json.loads(preview.dumps(prod_document))
    for s in head["steps"]:
        if s["newState"]["type"] == "aws:autoscaling/group:Group":
            s["newState"]["inputs"]["maxSize"] = 99
    changed = _diff(prod_document, head)
    text, markdown = diff.render_text(changed), diff.render_markdown(changed)
    assert "~ aws:autoscaling:Group www-asg" in text and "**~ `www-asg`** `aws:autoscaling:Group`" in markdown
    assert "aws:autoscaling/group:Group" not in text + markdown
    assert changed.unchanged + len(changed.steps) == total


def test_outputs_only_the_cloud_knows_read_output_string_and_documents_stay_concrete(stack_run, prod_document):
    text = preview.render_tree(stack_run("prod"), prod_document)
    assert "    vpc_id                   : output<string>\n" in text
    assert '        mysql_database    : "showrunner"\n' in text
    subnet = next(s["newState"] for s in prod_document["steps"] if s["newState"]["type"] == "aws:ec2/subnet:Subnet")
    assert "vpcId" in subnet["unknowns"] and subnet["inputs"]["vpcId"].startswith("vpc-")
    created = diff.render_text(_diff({"steps": prod_document["steps"][:1]}, prod_document))
    assert "    vpcId: output<string>\n" in created
    assert "ExecStart=/usr/bin/docker run --name django" in created, "user data is rendered, not unknown"


def test_previews_of_two_stacks_warn_and_stop_unless_compared_as_one_stack(tmp_path, stack_run, capsys):
    staging, prod = tmp_path / "staging.json", tmp_path / "prod.json"
    staging.write_text(preview.dumps(preview.preview_document(stack_run("staging"))))
    prod.write_text(preview.dumps(preview.preview_document(stack_run("prod"))))
    assert cli.main(["diff", str(staging), str(prod)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "warning: the base is stack staging and the head stack prod: no URN can match; compare them by logical name with --as-stack\n"
    )
    assert cli.main(["diff", str(staging), str(prod), "--as-stack", "--exit-code"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Diff of stack prod: ") and " to create" in out.splitlines()[0]
    matched = _diff(json.loads(staging.read_text()), json.loads(prod.read_text()), as_stack=True)
    assert len(matched.created) < 60 and not any(s.resource.name == "network-vpc" for s in matched.created + matched.deleted)


def _tty_output(args: list[str], **env) -> str:
    """What the console script prints to a terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([str(PROJECT_DIR / ".venv/bin/showrunner"), *args], stdout=follower, stderr=follower,
                               env={k: v for k, v in {**os.environ, **env}.items() if v is not None})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_and_none_with_no_color(tmp_path, prod_document):
    run = _edited(tmp_path, lambda t: t.replace(DJANGO_CIPHERTEXT, "v1:AAAA:BBBB"))
    (tmp_path / "base.json").write_text(preview.dumps(prod_document))
    (tmp_path / "head.json").write_text(preview.dumps(preview.preview_document(run)))
    args = ["diff", str(tmp_path / "base.json"), str(tmp_path / "head.json")]
    coloured = _tty_output(args, NO_COLOR=None)
    assert "\x1b[33m~ aws:ssm:Parameter secrets-django-secret-key\x1b[0m" in coloured
    plain = _tty_output(args, NO_COLOR="1")
    assert "\x1b[" not in plain and "~ aws:ssm:Parameter secrets-django-secret-key" in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    piped = subprocess.run([str(PROJECT_DIR / ".venv/bin/showrunner"), *args], capture_output=True, text=True, check=False)
    assert "\x1b[" not in piped.stdout, "no colour into a pipe"


def _repository(tmp_path):
    """A git repository holding this checkout's files as they are now, committed."""
    repo = tmp_path / "repo"
    files = subprocess.run(["git", "-C", str(PROJECT_DIR), "ls-files", "-z"], capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = PROJECT_DIR / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git = ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    subprocess.run([*git, "add", "--all"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "base"], check=True)
    return repo


def test_expect_no_changes_is_0_on_an_unchanged_tree_and_1_after_an_edit(tmp_path, capsys):
    repo = _repository(tmp_path)
    assert cli.main(["--project-dir", str(repo), "preview", "-s", "prod", "--expect-no-changes"]) == 0
    out = capsys.readouterr().out
    assert "    211 unchanged\n" in out and "Duration: " in out
    stack_file = repo / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("max_size: 60\n      scaling:", "max_size: 80\n      scaling:"))
    assert cli.main(["--project-dir", str(repo), "preview", "-s", "prod", "--expect-no-changes", "--diff"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "error: no changes were expected, but 1 resource and 0 outputs would change\n"
    assert re.search(r"^ ~ +└─ aws:autoscaling:Group +www-asg +update +\[diff: ~maxSize\]$", captured.out, re.M)
    assert "    maxSize: 60 → 80\n" in captured.out, "--diff adds the property-level detail"


def test_a_built_wheelhouse_is_lent_to_the_base_so_the_images_do_not_look_changed(tmp_path, capsys):
    """The image tags hash the git-ignored wheelhouses; a base previewed without them would show
    every image (and every fleet running one) as changed."""
    repo = _repository(tmp_path)
    wheels = repo / "images" / "www" / "wheelhouse"
    wheels.mkdir()
    (wheels / "Django-5.2-py3-none-any.whl").write_bytes(b"a wheel this machine built")
    assert cli.main(["--project-dir", str(repo), "preview", "-s", "prod", "--expect-no-changes"]) == 0, capsys.readouterr().err
    (wheels / "Django-5.2-py3-none-any.whl").write_bytes(b"another build of the same wheel")
    assert cli.main(["--project-dir", str(repo), "preview", "-s", "staging", "--base", "HEAD", "--expect-no-changes"]) == 0


def test_a_component_renamed_with_an_alias_previews_as_no_change(tmp_path):
    def project(where, type_token: str, alias: str | None):
        where.mkdir()
        (where / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
        (where / "Pulumi.staging.yaml").write_text("config: {}\n")
        opts = f"pulumi.ResourceOptions(aliases=[pulumi.Alias(type_={alias!r})])" if alias else "None"
        (where / "__main__.py").write_text(textwrap.dedent(f"""\
            import pulumi
            import pulumi_aws as aws

            class Thing(pulumi.ComponentResource):
                def __init__(self, name, opts=None):
                    super().__init__({type_token!r}, name, None, opts)
                    aws.sns.Topic(f"{{name}}-topic", name="thing", opts=pulumi.ResourceOptions(parent=self))
                    self.register_outputs({{}})

            Thing("thing", opts={opts})
            """))
        return preview.preview_document(engine.run_stack(where, "staging"))

    before = project(tmp_path / "before", "showrunner:thing:Thing", None)
    renamed = project(tmp_path / "renamed", "showrunner:index:Thing", "showrunner:thing:Thing")
    topic = next(s for s in renamed["steps"] if s["newState"]["type"] == "aws:sns/topic:Topic")
    assert topic["urn"] == "urn:pulumi:staging::probe::showrunner:index:Thing$aws:sns/topic:Topic::thing-topic"
    assert topic["newState"]["aliases"] == ["urn:pulumi:staging::probe::showrunner:thing:Thing$aws:sns/topic:Topic::thing-topic"]
    result = _diff(before, renamed)
    assert result.empty and result.unchanged == 3
    unaliased = project(tmp_path / "unaliased", "showrunner:index:Thing", None)
    assert sorted(s.op for s in _diff(before, unaliased).steps) == ["create", "create", "delete", "delete"]
