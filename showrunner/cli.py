"""`showrunner`: the offline tools around the Pulumi program.

    showrunner preview [--stack NAME] [--config-file PATH] [--json PATH]
    showrunner policy FILE... [--json OUT]
    showrunner diff BASE.json HEAD.json [--markdown]
    showrunner drift PREVIEW.json [--markdown OUT] [--run-url URL]
    showrunner doctor --stack NAME [--offline] [--check NAME]...

Every failure is reported as short lines on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from showrunner.config import ConfigError
from showrunner.config.stackfile import StackConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """Bad input to a command; the message is one line."""


def _writable(path: str | None, flag: str) -> None:
    """Refuse an output path whose directory is missing before any work is done."""
    if path and not Path(path).resolve().parent.is_dir():
        raise UsageError(f"{flag} {path}: directory {Path(path).resolve().parent} does not exist")


def _preview(args: argparse.Namespace) -> int:
    from showrunner import engine, policy, preview

    _writable(args.json, "--json")
    run = engine.run_stack(args.project_dir, args.stack, args.config_file)
    sys.stdout.write(preview.render_tree(run))
    document = preview.preview_document(run)
    if args.json:
        Path(args.json).write_text(preview.dumps(document))
        print(f"\nwrote {args.json}")
    report = policy.check_document(document)
    print()
    sys.stdout.write(policy.render(report))
    return 1 if report.mandatory else 0


def _policy(args: argparse.Namespace) -> int:
    from showrunner import policy

    _writable(args.json, "--json")
    try:
        return policy.run(args.files, args.json)
    except policy.DocumentError as error:
        raise UsageError(str(error)) from None


def _diff(args: argparse.Namespace) -> int:
    from showrunner import diff

    try:
        result = diff.diff_files(args.base, args.head)
    except diff.DocumentError as error:
        raise UsageError(str(error)) from None
    sys.stdout.write(diff.render_markdown(result) if args.markdown else diff.render_text(result))
    return 0


def _drift(args: argparse.Namespace) -> int:
    from showrunner import drift

    _writable(args.markdown, "--markdown")
    try:
        report = drift.load(args.preview)
    except drift.DocumentError as error:
        raise UsageError(str(error)) from None
    sys.stdout.write(drift.render_text(report))
    if args.markdown:
        Path(args.markdown).write_text(drift.render_markdown(report, args.run_url))
    return 1 if report.drifted else 0


def _doctor(args: argparse.Namespace) -> int:
    from showrunner import doctor

    try:
        text, code = doctor.run(args.project_dir, args.stack, env=doctor.LocalEnvironment(offline=args.offline),
                                checks=tuple(args.check or doctor.CHECKS), config_file=args.config_file)
    except ValueError as error:
        raise UsageError(str(error)) from None
    sys.stdout.write(text)
    return code


def _config_reference(args: argparse.Namespace) -> int:
    from showrunner.config import reference

    readme = args.project_dir / "README.md"
    text = readme.read_text()
    try:
        rendered = reference.rewrite(text)
    except ValueError as error:
        raise UsageError(f"{readme}: {error}") from None
    for gap in reference.gaps():
        print(f"warning: {gap}", file=sys.stderr)
    if args.check:
        if rendered != text:
            print(f"error: {readme}: the configuration reference differs from the models; run `showrunner config-reference`", file=sys.stderr)
            return 1
        print(f"{readme}: the configuration reference matches the models")
        return 0
    readme.write_text(rendered)
    print(f"{readme}: configuration reference {'rewritten' if rendered != text else 'already up to date'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="showrunner", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--project-dir", type=Path, default=PROJECT_DIR, help="directory holding Pulumi.yaml (default: this checkout)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser("preview", help="render every resource a stack would create, offline")
    preview.add_argument("--stack", default="staging", help="stack name (default: staging)")
    preview.add_argument("--config-file", type=Path, help="stack file to read instead of Pulumi.<stack>.yaml")
    preview.add_argument("--json", metavar="PATH", help="also write the `pulumi preview --json` shape to PATH")
    preview.set_defaults(handler=_preview)

    policy = commands.add_parser("policy", help="run the CrossGuard pack's rules over preview or stack-export JSON")
    policy.add_argument("files", nargs="+", type=Path, metavar="FILE", help="`pulumi preview --json`, `pulumi stack export` or offline preview JSON")
    policy.add_argument("--json", type=Path, metavar="OUT", help="also write the violations as JSON to OUT")
    policy.set_defaults(handler=_policy)

    diff = commands.add_parser("diff", help="compare two offline previews property by property")
    diff.add_argument("base", type=Path, metavar="BASE.json")
    diff.add_argument("head", type=Path, metavar="HEAD.json")
    diff.add_argument("--markdown", action="store_true", help="render for a pull-request comment (folded, under 65,536 characters)")
    diff.set_defaults(handler=_diff)

    drift = commands.add_parser("drift", help="tell the expected golden-AMI roll from drift in a `pulumi preview --refresh --json`")
    drift.add_argument("preview", type=Path, metavar="PREVIEW.json")
    drift.add_argument("--markdown", metavar="OUT", help="also write the drift issue's body to OUT")
    drift.add_argument("--run-url", help="the run to link from that body")
    drift.set_defaults(handler=_drift)

    doctor = commands.add_parser("doctor", help="what a stack's first `pulumi up` needs, and what to do for each miss")
    doctor.add_argument("--stack", required=True, help="stack name")
    doctor.add_argument("--config-file", type=Path, help="stack file to read instead of Pulumi.<stack>.yaml")
    doctor.add_argument("--offline", action="store_true", help="read neither AWS nor GitHub, even with credentials")
    doctor.add_argument("--check", action="append", metavar="NAME", help="only this check (repeatable): " + ", ".join(
        ("config", "backend", "secrets-provider", "secrets", "bootstrap", "wheelhouse", "docker", "oidc", "github")))
    doctor.set_defaults(handler=_doctor)

    config_reference = commands.add_parser("config-reference", help="rewrite README.md's configuration reference from the models")
    config_reference.add_argument("--check", action="store_true", help="only compare: exit 1 if README.md differs from the models")
    config_reference.set_defaults(handler=_config_reference)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"error: invalid configuration for stack {getattr(args, 'stack', '?')} ({len(error.problems)} problems):", file=sys.stderr)
        for line in error.problems:
            print(f"  {line}", file=sys.stderr)
        return 2
    except (StackConfigError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 — one line for the user, not a traceback
        from showrunner.engine import OfflineRunError

        if isinstance(error, OfflineRunError):
            print(f"error: {error}", file=sys.stderr)
            return 1
        raise


def console() -> None:
    """The `showrunner` console script.

    The mock engine's worker threads each leave an asyncio loop behind; collected during
    interpreter teardown they can print a spurious traceback. All output is flushed and the
    process ends without that teardown.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
