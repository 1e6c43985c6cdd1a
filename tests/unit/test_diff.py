"""`showrunner diff`: property-level changes between two offline previews, as text and Markdown."""

from __future__ import annotations

import base64
import gzip
import json

from showrunner import cli, diff

STACK = "urn:pulumi:staging::showrunner::pulumi:pulumi:Stack::showrunner-staging"


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:staging::showrunner::{type_token}::{name}"


def step(type_token: str, name: str, inputs: dict, **options) -> dict:
    return {"op": "create", "urn": urn(type_token, name), "newState": {"type": type_token, "urn": urn(type_token, name), "inputs": inputs, **options}}


def document(outputs: dict, *steps: dict) -> dict:
    stack = {"op": "create", "urn": STACK, "newState": {"type": "pulumi:pulumi:Stack", "urn": STACK, "inputs": {}, "outputs": outputs}}
    return {"steps": [stack, *steps], "changeSummary": {"create": len(steps) + 1}}


ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"
PARAM = "aws:ssm/parameter:Parameter"

BASE = document(
    {"vpc_id": "vpc-1"},
    step(ROLE_POLICY, "deploy", {"role": "deploy", "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]})}),
    step(SG, "hosts", {"ingress": [{"fromPort": 8000, "toPort": 8000, "protocol": "tcp"}], "tags": {"Service": "www"}}),
    step(PARAM, "secret", {"type": "SecureString", "value": "[secret]"}),
    step("aws:s3/bucket:Bucket", "logs", {"forceDestroy": False}),
)
HEAD = document(
    {"vpc_id": "vpc-1", "alb_dns_name": "web.example"},
    step(ROLE_POLICY, "deploy", {"role": "deploy", "policy": json.dumps({"Statement": [
        {"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:Delete*"], "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/ManagedBy": "pulumi"}}}]})}),
    step(SG, "hosts", {"ingress": [{"fromPort": 8000, "toPort": 8080, "protocol": "tcp"}], "tags": {"Service": "www"}}, protect=True),
    step(PARAM, "secret", {"type": "SecureString", "value": "[secret]"}),
    step("aws:ecr/repository:Repository", "www", {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}}),
)


def _files(tmp_path, base=BASE, head=HEAD):
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "head.json").write_text(json.dumps(head))
    return tmp_path / "base.json", tmp_path / "head.json"


def test_text(tmp_path, capsys):
    base, head = _files(tmp_path)
    assert cli.main(["diff", str(base), str(head)]) == 0
    assert capsys.readouterr().out == """\
Diff of stack staging: 1 to create, 2 to update, 1 to delete, 2 unchanged, 1 output changed

- aws:s3:Bucket logs

~ aws:ec2:SecurityGroup hosts
    ingress[0].toPort: 8000 → 8080
    [protect]: (none) → true

~ aws:iam:RolePolicy deploy
    policy{}.Statement[0].Action: "ec2:Describe*" → ["ec2:Describe*", "ec2:Delete*"]
    policy{}.Statement[0].Condition.StringEquals.aws:ResourceTag/ManagedBy: (none) → "pulumi"

+ aws:ecr:Repository www
    imageScanningConfiguration.scanOnPush: true
    imageTagMutability: "IMMUTABLE"

Outputs:
    alb_dns_name: (none) → "web.example"
"""


def test_markdown(tmp_path, capsys):
    base, head = _files(tmp_path)
    assert cli.main(["diff", str(base), str(head), "--markdown"]) == 0
    assert capsys.readouterr().out == """\
### Preview diff: `staging`

**1 to create, 2 to update, 1 to delete, 2 unchanged, 1 output changed**

#### Deleted (1)

**- `logs`** `aws:s3:Bucket`

<details><summary>Updated (2)</summary>

**~ `hosts`** `aws:ec2:SecurityGroup`

```diff
  ingress[0].toPort
- 8000
+ 8080
  [protect]
+ true
```

**~ `deploy`** `aws:iam:RolePolicy`

```diff
  policy{}.Statement[0].Action
- "ec2:Describe*"
+ ["ec2:Describe*", "ec2:Delete*"]
  policy{}.Statement[0].Condition.StringEquals.aws:ResourceTag/ManagedBy
+ "pulumi"
```
</details>

#### Created (1)

**+ `www`** `aws:ecr:Repository`

```diff
+ imageScanningConfiguration.scanOnPush: true
+ imageTagMutability: "IMMUTABLE"
```

#### Outputs (1)

```diff
  alb_dns_name
+ "web.example"
```

"""


def test_secrets_stay_redacted_and_a_changed_fingerprint_is_a_changed_secret():
    def param(fingerprint: str, kind: str = "SecureString") -> dict:
        return document({}, step(PARAM, "p", {"value": "[secret]", "type": kind}, secrets={"value": fingerprint}))

    result = diff.diff(diff._load_document(param("hmac-sha256:aa", "String"), "base"), diff._load_document(param("hmac-sha256:aa"), "head"))
    assert [(c.path, c.old, c.new) for s in result.updated for c in s.changes] == [("type", "String", "SecureString")]

    result = diff.diff(diff._load_document(param("hmac-sha256:aa"), "base"), diff._load_document(param("hmac-sha256:bb"), "head"))
    text = diff.render_text(result)
    assert text == "Diff of stack staging: 1 to update, 1 unchanged\n\n~ aws:ssm:Parameter p\n    value: [secret] changed\n"
    assert "```diff\n  value\n! [secret] changed\n```" in diff.render_markdown(result)
    assert "hmac" not in text + diff.render_markdown(result)

    base = document({}, step(PARAM, "p", {"value": "[secret]"}))
    head = document({}, step(PARAM, "p", {"value": "plain-now"}))
    result = diff.diff(diff._load_document(base, "base"), diff._load_document(head, "head"))
    assert diff.render_text(result).endswith('    value: "[secret]" → "plain-now"\n')


def test_a_component_renamed_with_an_alias_matches_its_old_urn_and_so_do_its_children():
    old_parent = "urn:pulumi:staging::showrunner::pulumi:pulumi:Stack$showrunner:fleet:Fleet::www"
    new_parent = "urn:pulumi:staging::showrunner::pulumi:pulumi:Stack$showrunner:index:Fleet::www"
    old_child = "urn:pulumi:staging::showrunner::showrunner:fleet:Fleet$aws:iam/role:Role::www-role"
    new_child = "urn:pulumi:staging::showrunner::showrunner:index:Fleet$aws:iam/role:Role::www-role"

    def state(urn: str, type_token: str, **extra) -> dict:
        return {"op": "create", "urn": urn, "newState": {"type": type_token, "urn": urn, "inputs": {"a": 1}, **extra}}

    base = document({}, state(old_parent, "showrunner:fleet:Fleet"), state(old_child, "aws:iam/role:Role"))
    head = document({}, state(new_parent, "showrunner:index:Fleet", aliases=[old_parent]), state(new_child, "aws:iam/role:Role", aliases=[old_child]))
    result = diff.diff(diff._load_document(base, "base"), diff._load_document(head, "head"))
    assert result.empty and result.unchanged == 3
    unaliased = document({}, state(new_parent, "showrunner:index:Fleet"), state(new_child, "aws:iam/role:Role"))
    result = diff.diff(diff._load_document(base, "base"), diff._load_document(unaliased, "head"))
    assert [s.op for s in result.steps] == ["delete", "delete", "create", "create"]


def test_exit_code_is_0_without_changes_1_with_changes_and_2_on_bad_input(tmp_path):
    (tmp_path / "same").mkdir()
    same_base, same_head = _files(tmp_path / "same", BASE, BASE)
    assert cli.main(["diff", str(same_base), str(same_head), "--exit-code"]) == 0
    base, head = _files(tmp_path, BASE, HEAD)
    assert cli.main(["diff", str(base), str(head), "--exit-code"]) == 1
    assert cli.main(["diff", str(base), str(head)]) == 0, "without --exit-code a diff is not a failure"
    head.write_text("{")
    assert cli.main(["diff", str(base), str(head), "--exit-code"]) == 2


def test_markdown_stays_under_the_comment_limit_dropping_creates_before_deletes_and_replacements():
    big = "x" * 250
    base = document({}, step("aws:rds/instance:Instance", "db", {"storageEncrypted": True}, protect=True),
                    step(SG, "old", {"description": "going"}))
    head = document({}, step("aws:rds/instance:Instance", "db", {"storageEncrypted": False}, protect=True),
                    *[step(SG, f"sg-{i:04d}", {f"description{j}": big for j in range(10)}) for i in range(400)])
    result = diff.diff(diff._load_document(base, "base"), diff._load_document(head, "head"))
    text = diff.render_markdown(result)
    assert len(text) <= diff.COMMENT_LIMIT
    assert text.startswith(
        "### Preview diff: `staging`\n\n**400 to create, 1 to replace, 1 to delete, 1 unchanged**\n\n"
        "> [!WARNING]\n> aws:rds:Instance db is protected (`pulumi up` refuses to replace it until `protect` is lifted).\n\n"
        "#### Replaced (1)\n\n**+- `db`** `aws:rds:Instance` — replaced because of `storageEncrypted`\n\n"
        "```diff\n  storageEncrypted  [forces replacement]\n- true\n+ false\n```\n"
    )
    assert "**- `old`** `aws:ec2:SecurityGroup`" in text
    kept = text.count("**+ `sg-")
    assert 0 < kept < 400
    assert text.endswith(
        f"_Left out to stay under GitHub's 65,536-character comment limit: {400 - kept} created. "
        "Run `make diff BASE=<base ref> STACK=staging` for the full diff._\n"
    )


def test_no_changes(tmp_path, capsys):
    base, head = _files(tmp_path, BASE, BASE)
    assert cli.main(["diff", str(base), str(head), "--markdown"]) == 0
    assert capsys.readouterr().out == "### Preview diff: `staging`\n\n**5 unchanged**\n\nNo resource changes.\n"


def test_bad_input_is_one_line(tmp_path, capsys):
    base, head = _files(tmp_path)
    head.write_text('{"deployment": {}}')
    assert cli.main(["diff", str(base), str(head)]) == 2
    assert capsys.readouterr().err == f"error: {head}: not an offline preview (`showrunner preview --json` writes `steps`)\n"


def _user_data(image: str) -> str:
    unit = f"[Service]\nRestart=always\nExecStart=/usr/bin/docker run --name django {image} /var/www/bin/start-django\n"
    text = "#cloud-config\n" + json.dumps({"write_files": [{"path": "/etc/systemd/system/showrunner-django.service", "content": unit}]})
    return base64.b64encode(text.encode()).decode()


def test_user_data_is_decoded_and_a_unit_shows_only_its_changed_lines():
    template = "aws:ec2/launchTemplate:LaunchTemplate"
    base = document({}, step(template, "www-lt", {"userData": _user_data("repo/www@sha256:aaaa")}))
    head = document({}, step(template, "www-lt", {"userData": _user_data("repo/www@sha256:bbbb")}))
    result = diff.diff(diff._load_document(base, "base.json"), diff._load_document(head, "head.json"))
    assert diff.render_text(result) == (
        "Diff of stack staging: 1 to update, 1 unchanged\n"
        "\n"
        "~ aws:ec2:LaunchTemplate www-lt\n"
        "    userData{}.write_files[0].content:\n"
        "      -ExecStart=/usr/bin/docker run --name django repo/www@sha256:aaaa /var/www/bin/start-django\n"
        "      +ExecStart=/usr/bin/docker run --name django repo/www@sha256:bbbb /var/www/bin/start-django\n"
    )
    assert "```diff\n  userData{}.write_files[0].content\n- ExecStart=/usr/bin/docker run --name django repo/www@sha256:aaaa" in diff.render_markdown(result)


def test_gzipped_user_data_is_compared_inside_too():
    template = "aws:ec2/launchTemplate:LaunchTemplate"

    def gzipped(image: str) -> str:
        return base64.b64encode(gzip.compress(base64.b64decode(_user_data(image)), mtime=0)).decode()

    base = document({}, step(template, "micro-lt", {"userData": gzipped("repo/micro@sha256:aaaa")}))
    head = document({}, step(template, "micro-lt", {"userData": gzipped("repo/micro@sha256:bbbb")}))
    text = diff.render_text(diff.diff(diff._load_document(base, "base.json"), diff._load_document(head, "head.json")))
    assert "    userData{}.write_files[0].content:\n      -ExecStart=/usr/bin/docker run --name django repo/micro@sha256:aaaa" in text
