"""A fleet's user data: the `#cloud-config` that writes host settings and every unit, then starts them.

Pure functions to text, checked by `cloud-init schema` in the tests. Over EC2's 16 KB the text is
gzipped, which cloud-init recognises by its magic bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Mapping

from showrunner_components.aws import dump_yaml
from showrunner_components.fleet.units import (
    DEFAULT_MIN_FREE_MB,
    DEFAULT_START_DEADLINE_S,
    HOST_ENV,
    UNIT_DIR,
    HostLogging,
    HostRenderError,
    HostService,
    render_units,
    units_to_enable,
)

PRUNE_ENV = "/etc/showrunner/prune.env"
"""Where the golden image's prune units read a scope from; its presence lets them run in a container."""


def host_env(
    stack: str,
    region: str,
    *,
    fleet: str | None = None,
    secrets_dir: str | None = None,
    start_deadline_s: int = DEFAULT_START_DEADLINE_S,
    stand_ins: Mapping[str, str] | None = None,
) -> str:
    """`/etc/showrunner/host.env`: what the fetcher, the puller, the units and the metric reporters read. No secret is in it.

    `fleet` is the host metrics' `Fleet` dimension; `start_deadline_s` is how long the fetcher and
    the puller wait for the store and the registry before the host reports itself Unhealthy;
    `secrets_dir` (files instead of SSM) and `stand_ins` (endpoint settings) are the local boot
    simulation's overrides only.
    """
    lines = [f"SHOWRUNNER_STACK={stack}", f"SHOWRUNNER_SSM_PREFIX=/showrunner/{stack}", f"AWS_REGION={region}"]
    if fleet is not None:
        lines.append(f"SHOWRUNNER_FLEET={fleet}")
    lines.append(f"SHOWRUNNER_START_DEADLINE={start_deadline_s}")
    if secrets_dir is not None:
        lines.append(f"SHOWRUNNER_SECRETS_DIR={secrets_dir}")
    lines += [f"{key}={value}" for key, value in sorted((stand_ins or {}).items())]
    return "\n".join(lines) + "\n"


def prune_env(label: str, until: str) -> str:
    """`/etc/showrunner/prune.env` for the boot simulation: prune only objects labelled `label`,
    however young (`until`), so that a simulated host never prunes the machine's own engine."""
    return f"SHOWRUNNER_PRUNE_UNTIL={until}\nSHOWRUNNER_PRUNE_FILTERS=--filter label={label}\n"


USER_DATA_LIMIT = 16384
"""EC2 refuses user data over 16 KB (raw, before base64)."""


def user_data_base64(cloud_config: str, fleet: str) -> str:
    """The launch template's `user_data`: the cloud-config as is, or gzipped when it is over EC2's
    16 KB (cloud-init recognises gzip by its magic bytes). Deterministic: no timestamp in the gzip
    header, so an unchanged fleet is not a launch-template change."""
    raw = cloud_config.encode()
    if len(raw) > USER_DATA_LIMIT:
        raw = gzip.compress(raw, compresslevel=9, mtime=0)
        if len(raw) > USER_DATA_LIMIT:
            raise HostRenderError(
                f'fleet "{fleet}": user data is {len(raw)} bytes even gzipped; EC2 allows {USER_DATA_LIMIT}. '
                "Move some services to another fleet"
            )
    return base64.b64encode(raw).decode()


DOCKER_CLIENT_CONFIG = "/root/.docker/config.json"
"""Where the Docker client (the units run `docker pull` as root) reads its credential helpers."""


def docker_client_config(ecr_registries: Iterable[str]) -> str:
    """The Docker client's configuration: the ECR credential helper (baked into the golden image)
    for each of `ecr_registries`, so a pull from any of them logs in with the instance role."""
    helpers = {registry: "ecr-login" for registry in sorted(set(ecr_registries))}
    return json.dumps({"credHelpers": helpers}, indent=2) + "\n"


def render_cloud_config(
    stack: str,
    region: str,
    services: Iterable[HostService],
    *,
    fleet: str | None = None,
    min_free_mb: int = DEFAULT_MIN_FREE_MB,
    start_deadline_s: int = DEFAULT_START_DEADLINE_S,
    logging: HostLogging | None = None,
    secrets_dir: str | None = None,
    stand_ins: Mapping[str, str] | None = None,
    prune_scope: str | None = None,
    ecr_registries: Iterable[str] = (),
) -> str:
    """The fleet's user data: host settings, its units, and the command that starts them.

    `prune_scope` (a prune.env's text), `secrets_dir` and `stand_ins` are the boot simulation's
    only; a fleet host prunes unscoped and talks to AWS.
    `ecr_registries`, when given, replaces the golden image's Docker client configuration (which
    names the account's own registry only) with one that names each of them: a fleet that runs an
    image from another account's or region's registry passes them all, its own included.
    """
    services = list(services)
    units = render_units(services, min_free_mb=min_free_mb, logging=logging)
    settings = host_env(stack, region, fleet=fleet, secrets_dir=secrets_dir, start_deadline_s=start_deadline_s, stand_ins=stand_ins)
    files = [{"path": HOST_ENV, "owner": "root:root", "permissions": "0644", "content": settings}]
    if prune_scope is not None:
        files.append({"path": PRUNE_ENV, "owner": "root:root", "permissions": "0644", "content": prune_scope})
    registries = list(ecr_registries)
    if registries:
        files.append({"path": DOCKER_CLIENT_CONFIG, "owner": "root:root", "permissions": "0600", "content": docker_client_config(registries)})
    files += [
        {"path": f"{UNIT_DIR}/{file_name}", "owner": "root:root", "permissions": "0644", "content": text}
        for file_name, text in units.items()
    ]
    document = {
        "write_files": files,
        # --no-block: units pull and start in parallel instead of one after another in cloud-final.
        "runcmd": [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "--no-block", *units_to_enable(units, services)]],
    }
    body = dump_yaml(document, default_flow_style=None, width=10_000)
    return "#cloud-config\n" + body
