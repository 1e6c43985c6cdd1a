"""Boot a fleet host locally: the golden-image stand-in with systemd as PID 1 and a NoCloud seed.

The seed's user data is the fleet's `#cloud-config`, rendered by `showrunner_components.fleet.cloud_config` exactly as
`Fleet` renders it for the launch template, from a small fleet defined here with the project's own
settings model and turned into the fleet's services by the program's own wiring
(`showrunner.wiring.fleet_service`). Where this differs from an EC2 instance, it says so:

- Docker: the host's engine, through its socket mounted in. The image's docker.service and
  docker.socket are skipped in a container (`ConditionVirtualization=!container`), so
  `Requires=docker.service` is satisfied without an engine inside. Service containers are
  therefore siblings on this machine, their `--publish` ports are this machine's, and their
  `/var/log/containers` bind mount is this machine's directory.
- Images come from the local registry on 127.0.0.1:5000 (the ECR stand-in), by digest.
- Secrets: `SHOWRUNNER_SECRETS_DIR` in host.env (the fetcher's documented local override) reads
  files mounted from a temporary directory instead of SSM.
- /mnt/docker is a tmpfs sized here (no EBS data volume), so the disk guard can be shown a full
  data root by remounting it smaller.
- Host ports are moved to 18xxx so that a simulation never collides with services on this machine,
  and service names carry a `bootsim-` prefix for the same reason (container names are global on
  the shared engine).
- Logs: the containers use the awslogs driver with the fleet's own options, but this machine's
  engine has no instance role and must reach no AWS endpoint, so the driver's endpoint and its
  credentials point at a CloudWatch Logs stand-in on loopback (`cloudwatch.py`), which records
  what arrives. `docker logs` still reads the engine's local copy.
- Faults around the host (a Docker restart, a reboot, the registry or the secret store away, a
  data root filling with logs) need the host's own engine: `faults.py` boots that variant and
  says how it differs.
- Pruning: `/etc/showrunner/prune.env` (written by the user data here only) lets the prune units
  run in this container and scopes them to objects labelled `showrunner.host=<this host>`, with no
  minimum age: the machine's own containers and images are never candidates.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from showrunner import wiring
from showrunner.config import Settings, load_settings
from showrunner_components.fleet import cloud_config, iam, units
from tests.integration.boot.cloudwatch import CloudWatchLogsStandIn

PROJECT_DIR = Path(__file__).resolve().parents[3]
GOLDEN_IMAGE = "showrunner/golden:bookworm"
DIGESTS_FILE = PROJECT_DIR / ".cache/images/digests.json"
SECRETS_MOUNT = "/srv/showrunner-secrets"
DATA_ROOT_SIZE = "3g"
FLEET = "bootsim"
STACK = "boot"
REGION = "us-east-1"
HOST_LABEL = "showrunner.host"
"""Every container the units start carries `showrunner.host=<host name>`; the prune scope is that label."""

# One web service per image, a worker that dies at once, and a cron job on every minute.
CONFIG = {
    "services": {
        "bootsim-django": {
            "type": "web",
            "image": "www",
            "command": "/var/www/bin/start-django",
            "fleet": FLEET,
            "ports": ["18000:8000"],
            "env": {"DJANGO_SETTINGS_MODULE": "www.settings"},
            "route": {"paths": ["/*"], "priority": 1000},
            "secrets": ["SECRET_KEY"],
        },
        "bootsim-catalog": {
            "type": "web",
            "image": "micro",
            "command": "/micro",
            "fleet": FLEET,
            "ports": ["18080:8080"],
            "route": {"paths": ["/api/catalog/*"], "priority": 10},
        },
        "bootsim-crash": {"type": "worker", "image": "www", "command": "false", "fleet": FLEET},
        "bootsim-tick": {
            "type": "cron",
            "image": "www",
            "command": "echo showrunner-tick",
            "fleet": FLEET,
            "schedule": "* * * * *",
            "rm": True,
        },
    },
    "fleets": {FLEET: {"instance_types": ["t3.small"], "min_size": 1, "max_size": 1}},
    # The images its services run; their digests come from the local registry (tools/build-images push).
    "images": {"www": {}, "micro": {}},
    "load_balancer": {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/boot-simulation"},
    # A test value; it travels only through the mounted secrets directory.
    "secrets": {"bootsim-django": {"SECRET_KEY": "boot-simulation-not-a-secret"}},
}

HEALTH_URLS = {"bootsim-django": "http://127.0.0.1:18000/healthz", "bootsim-catalog": "http://127.0.0.1:18080/healthz"}


class SimulationError(Exception):
    pass


def wait_for(predicate, timeout: float, step: float = 0.2) -> float | None:
    """Seconds until `predicate()` held, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return None


def settings() -> Settings:
    return load_settings(CONFIG, project="showrunner", stack=STACK)


def log_group(service: str) -> str:
    """The group a service's containers log to, as `Fleet` names (and creates) it."""
    return iam.log_group_name(STACK, FLEET, service)


def pipeline_digests() -> dict[str, str]:
    if not DIGESTS_FILE.exists():
        raise SimulationError(f"{DIGESTS_FILE} is missing; run `make images-push` first")
    return json.loads(DIGESTS_FILE.read_text())


def user_data(config: Settings, digests: dict[str, str], *, logs: CloudWatchLogsStandIn, host_name: str,
              stand_ins: dict[str, str] | None = None, prune: bool = True) -> str:
    """The fleet's `#cloud-config`: settings → `FleetService` (wiring) → `HostService` → text, as `Fleet` does,
    with the simulation's log endpoint, AWS stand-ins and prune scope (module docstring)."""
    # There is no load balancer here: the routed services' target groups are placeholders, which
    # only the Auto Scaling group would read; the hosts never see them.
    routed = {name: SimpleNamespace(arn="none", arn_suffix="none") for name, service in config.services.items() if service.route is not None}
    load_balancer = SimpleNamespace(target_groups=routed)
    services = [
        units.HostService.from_spec(
            wiring.fleet_service(name, service, image=wiring.service_image(service, digests), endpoints=None, load_balancer=load_balancer)
        )
        for name, service in sorted(config.services_on(FLEET).items())
    ]
    logging = units.HostLogging(
        region=REGION,
        group_prefix=iam.log_group_name(STACK, FLEET),
        endpoint=logs.endpoint,
        credentials_endpoint=logs.credentials_endpoint,
    )
    return cloud_config.render_cloud_config(
        STACK,
        REGION,
        services,
        fleet=FLEET,
        min_free_mb=config.fleets[FLEET].min_free_mb,
        start_deadline_s=config.fleets[FLEET].start_deadline_s,
        logging=logging,
        secrets_dir=SECRETS_MOUNT,
        stand_ins=stand_ins,
        prune_scope=cloud_config.prune_env(f"{HOST_LABEL}={host_name}", "1s") if prune else None,
    )


def run(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=timeout)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Host:
    container: str
    workdir: Path
    started_at: float
    services: list[str] = field(default_factory=list)
    logs: CloudWatchLogsStandIn | None = None
    """What the containers' awslogs driver delivered."""

    def sh(self, command: str, check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
        return run("docker", "exec", self.container, "sh", "-c", command, check=check, timeout=timeout)

    def unit_state(self, service: str) -> str:
        return self.sh(f"systemctl is-active {units.unit_name(service)}").stdout.strip()

    def journal(self, unit: str) -> str:
        return self.sh(f"journalctl --no-pager -o cat -u {unit}").stdout

    def wait_healthy(self, urls: dict[str, str], timeout: float) -> float:
        """Seconds from the container's start until every URL answered 200."""
        deadline = time.monotonic() + timeout
        pending = dict(urls)
        while pending and time.monotonic() < deadline:
            pending = {n: u for n, u in pending.items() if not healthy(u)}
            if pending:
                time.sleep(0.2)
        if pending:
            states = {n: self.unit_state(n) for n in pending}
            raise SimulationError(f"not healthy after {timeout:.0f}s: {states}\n{self.sh('journalctl --no-pager -n 80 -o cat').stdout}")
        return time.monotonic() - self.started_at

    def stop(self) -> None:
        run("docker", "rm", "--force", self.container, check=False)
        # Service containers are siblings on this engine; the host's shutdown would stop them.
        for service in self.services:
            run("docker", "rm", "--force", service, check=False)
        if self.logs is not None:
            self.logs.stop()
        subprocess.run(["rm", "-rf", str(self.workdir)], check=False)


def boot() -> Host:
    """Start a host from the golden image with the fleet's user data; return once it is running."""
    if run("docker", "image", "inspect", GOLDEN_IMAGE, check=False).returncode != 0:
        raise SimulationError(f"{GOLDEN_IMAGE} is missing; run `make golden-image` first")
    config = settings()
    digests = pipeline_digests()
    instance = f"bootsim-{os.getpid()}-{int(time.time())}"
    # The fleet creates its services' log groups; so does the stand-in, before any container starts.
    logs = CloudWatchLogsStandIn({log_group(service) for service in config.services_on(FLEET)}).start()
    text = user_data(config, digests, logs=logs, host_name=instance)
    workdir = Path(tempfile.mkdtemp(prefix="showrunner-boot-"))
    seed = workdir / "seed"
    seed.mkdir()
    (seed / "user-data").write_text(text)
    (seed / "meta-data").write_text(f"instance-id: {instance}\nlocal-hostname: {instance}\n")
    secrets = workdir / "secrets"
    for service, values in config.secrets.items():
        (secrets / service).mkdir(parents=True)
        for name, value in values.items():
            (secrets / service / name).write_text(value.get_secret_value())
    services = sorted(config.services_on(FLEET))
    for service in services:
        run("docker", "rm", "--force", service, check=False)
    started_at = time.monotonic()
    run(
        "docker", "run", "--detach", "--name", instance, "--hostname", instance,
        "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
        "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", f"/mnt/docker:size={DATA_ROOT_SIZE}",
        "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "--volume", "/var/run/docker.sock:/var/run/docker.sock",
        "--volume", f"{seed}:/var/lib/cloud/seed/nocloud:ro",
        "--volume", f"{secrets}:{SECRETS_MOUNT}:ro",
        GOLDEN_IMAGE,
    )  # fmt: skip
    return Host(container=instance, workdir=workdir, started_at=started_at, services=services, logs=logs)
