"""A fault host: the boot simulation's host with its own Docker engine, so faults around it can be injected.

`simulation.boot()` shares this machine's engine, which is right for what it shows and wrong for a
Docker restart, a reboot or a data root filling with logs. A fault host differs from it, and from
an EC2 instance, as follows:

- Docker: the golden image's own docker.service, containerd and docker.socket run inside the host
  (a drop-in clears their `ConditionVirtualization=!container`; every capability but
  CAP_SYS_RESOURCE, which this machine's engine cannot grant, and CAP_SYS_TIME, so nothing in it
  can set this machine's clock). Service containers are the host's children, not this machine's.
- The data root /mnt/docker is a Docker volume (a directory on this machine's disk, not an EBS
  volume): a reboot (`docker restart` of the host, systemd shut down by SIGRTMIN+3) keeps it, and
  keeps the container's root filesystem (the unit files cloud-init wrote); /run is a fresh tmpfs.
  The volume has this machine's free space, so the log test measures what the logs add rather than
  waiting for a full disk.
- The registry (127.0.0.1:5000 in the digests) is reached through `RegistryProxy`, in this process,
  on this machine's bridge gateway: it forwards, or refuses every connection (the registry down).
  Inside the host, `bootsim-forward` maps 127.0.0.1:5000 and the stand-ins' ports onto the gateway.
- AWS: `AwsStandIn` answers IMDSv2 (instance id, stand-in role credentials), Auto Scaling's
  SetInstanceHealth and CloudWatch's PutMetricData, and records what arrived; host.env points the
  host's scripts at it (`stand_ins`). Logs go to the CloudWatch Logs stand-in as in `simulation`.
- Secrets come from a directory, as in `simulation`, but `bootsim-django`'s is absent at boot: the
  tests write it (empty, then a value) to show the fetcher waiting.
- Time: chronyd runs with -x (measure only) against `bootsim-ntp` on 169.254.169.123 (the Time Sync
  Service's address, added to the host's loopback), which answers with this kernel's clock. The
  offset is real chrony output but near zero; drift is not produced.
- Health URLs are the host's own address (its containers publish in its network namespace).
"""

from __future__ import annotations

import copy
import io
import ipaddress
import json
import os
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from showrunner.config import load_settings
from showrunner_components.fleet import units
from tests.integration.boot import simulation
from tests.integration.boot.cloudwatch import CloudWatchLogsStandIn

HOST_FILES = Path(__file__).resolve().parent / "host"
REGISTRY = ("127.0.0.1", 5000)
START_DEADLINE_S = 20
"""The fault host's start deadline: short, so the registry outage outlasts it within the test."""
HOG_TRIGGER = "/var/log/containers/bootsim-hog.go"
"""Where the memory hog looks (through its default /var/log volume) before it allocates."""
FLOOD_S = int(os.environ.get("BOOTSIM_FLOOD_S", "60"))
"""How long the log flood writes (the issue's minute; shorter only by asking)."""
MEMORY_MB = {"bootsim-hog": 32}
LOG_CACHE_MIB = units.LOG_CACHE_FILES * int(units.LOG_CACHE_SIZE.removesuffix("m"))
"""What the engine may keep of one container's log on the data root (`units.LOG_CACHE_*`)."""

CONFIG = copy.deepcopy({key: value for key, value in simulation.CONFIG.items() if key != "services"})
CONFIG["fleets"][simulation.FLEET]["start_deadline_s"] = START_DEADLINE_S
CONFIG["services"] = {
    name: simulation.CONFIG["services"][name] for name in ("bootsim-django", "bootsim-catalog")
} | {
    # Allocates 256 MiB (every byte written) once the trigger exists; its limit is 32 MiB. Until
    # then it stops on SIGTERM at once, as a real service does (sh as PID 1 ignores it untrapped).
    "bootsim-hog": {
        "type": "worker", "image": "www", "fleet": simulation.FLEET, "memory_mb": MEMORY_MB["bootsim-hog"],
        "command": "sh -c \"trap 'exit 143' TERM; while [ ! -e /var/log/bootsim-hog.go ]; do sleep 0.2; done; "
                   "exec python3 -c 'hog = b\\\"x\\\" * 2 ** 28'\"",
    },
    # Writes 1 KiB lines to stdout as fast as it can for FLOOD_S; dd's count of what it wrote goes to a file.
    "bootsim-flood": {
        "type": "cron", "image": "www", "fleet": simulation.FLEET, "schedule": "0 0 1 1 *",
        "command": f"sh -c \"timeout {FLOOD_S} yes {'x' * 1023} | dd bs=64k 2>/var/log/bootsim-flood.dd; true\"",
    },
}  # fmt: skip
WEB = ("bootsim-django", "bootsim-catalog")


def gateway() -> str:
    """This machine's address on Docker's default bridge: what a host container reaches it by.

    Some engines (Debian's docker.io 20.10) record only the bridge's subnet, no gateway; Docker
    gives the bridge the subnet's first address then. An empty answer would make every stand-in
    listen everywhere and the host's forwarder dial nothing, so it is refused here.
    """
    found = simulation.run("docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}").stdout.strip()
    configs = [c for c in json.loads(found or "[]") if "." in c.get("Subnet", "")]  # IPv4 ones
    if not configs:
        raise simulation.SimulationError(f"Docker's bridge network has no IPv4 subnet: {found}")
    return configs[0].get("Gateway") or str(next(ipaddress.ip_network(configs[0]["Subnet"]).hosts()))


class RegistryProxy:
    """A TCP proxy to the local registry that can refuse every connection (the registry unreachable)."""

    def __init__(self, host: str):
        self.forwarding = False
        self.forwarded = 0
        self.refused = 0
        self._listener = socket.create_server((host, 0))
        self._thread = threading.Thread(target=self._serve, name="registry-proxy", daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def start(self) -> RegistryProxy:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.forwarding:
                self.refused += 1
                client.close()
                continue
            self.forwarded += 1
            try:
                upstream = socket.create_connection(REGISTRY, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        self._listener.close()


@dataclass
class AwsRecorded:
    health: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, InstanceId, HealthStatus) of each SetInstanceHealth."""
    metrics: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)
    """(MetricName, Value, dimensions) of each PutMetricData datum."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _query_response(action: str, xmlns: str) -> bytes:
    return (f'<{action}Response xmlns="{xmlns}"><ResponseMetadata><RequestId>bootsim</RequestId>'
            f"</ResponseMetadata></{action}Response>").encode()


class AwsStandIn:
    """IMDSv2, Auto Scaling's SetInstanceHealth and CloudWatch's PutMetricData, recorded."""

    ROLE = "bootsim-instance-role"

    def __init__(self, host: str, instance_id: str):
        self.recorded = AwsRecorded()
        recorded, role = self.recorded, self.ROLE

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self):  # noqa: N802
                if self.path == "/latest/api/token":
                    return self._answer(200, b"bootsim-imds-token")
                self._answer(404, b"")

            def do_GET(self):  # noqa: N802
                if self.headers.get("X-aws-ec2-metadata-token") != "bootsim-imds-token":
                    return self._answer(401, b"")
                if self.path == "/latest/meta-data/instance-id":
                    return self._answer(200, instance_id.encode())
                if self.path == "/latest/meta-data/iam/security-credentials/":
                    return self._answer(200, role.encode())
                if self.path == f"/latest/meta-data/iam/security-credentials/{role}":
                    return self._answer(200, json.dumps({
                        "Code": "Success", "Type": "AWS-HMAC", "LastUpdated": "2026-01-01T00:00:00Z",
                        "AccessKeyId": "ASIABOOTSIMULATION02", "SecretAccessKey": "boot-simulation-stand-in",
                        "Token": "boot-simulation-stand-in", "Expiration": "2099-01-01T00:00:00Z",
                    }).encode(), "application/json")  # fmt: skip
                self._answer(404, b"")

            def do_POST(self):  # noqa: N802
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
                action = form.get("Action")
                with recorded.lock:
                    if action == "SetInstanceHealth":
                        recorded.health.append((time.monotonic(), form["InstanceId"], form["HealthStatus"]))
                        return self._answer(200, _query_response(action, "http://autoscaling.amazonaws.com/doc/2011-01-01/"), "text/xml")
                    if action == "PutMetricData":
                        for index in range(1, 21):
                            member = f"MetricData.member.{index}."
                            if member + "MetricName" not in form:
                                break
                            dimensions = {form[f"{member}Dimensions.member.{d}.Name"]: form[f"{member}Dimensions.member.{d}.Value"]
                                          for d in range(1, 11) if f"{member}Dimensions.member.{d}.Name" in form}
                            recorded.metrics.append((form[member + "MetricName"], float(form[member + "Value"]), dimensions))
                        return self._answer(200, _query_response(action, "http://monitoring.amazonaws.com/doc/2010-08-01/"), "text/xml")
                self._answer(400, f"{action} is not served by the stand-in".encode())

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-stand-in", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> AwsStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class FaultHost(simulation.Host):
    volume: str = ""
    secrets: Path = Path()
    registry: RegistryProxy | None = None
    aws: AwsStandIn | None = None

    def docker(self, *args: str, check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
        """The host's own engine."""
        return simulation.run("docker", "exec", self.container, "docker", *args, check=check, timeout=timeout)

    def address(self) -> str:
        return simulation.run("docker", "inspect", "--format", "{{.NetworkSettings.IPAddress}}", self.container).stdout.strip()

    def health_urls(self) -> dict[str, str]:
        address = self.address()
        return {name: url.replace("127.0.0.1", address) for name, url in simulation.HEALTH_URLS.items()}

    def containers(self, service: str) -> list[str]:
        """Every container of `service` on the host, running or not."""
        return self.docker("ps", "--all", "--quiet", "--no-trunc", "--filter", f"label=showrunner.service={service}").stdout.split()

    def inspect(self, container: str, template: str) -> str:
        return self.docker("inspect", "--format", template, container).stdout.strip()

    def stop(self) -> None:
        simulation.run("docker", "rm", "--force", "--volumes", self.container, check=False)
        simulation.run("docker", "volume", "rm", "--force", self.volume, check=False)
        for stand_in in (self.logs, self.aws, self.registry):
            if stand_in is not None:
                stand_in.stop()
        # The host's containers wrote their /var/log as root; a container removes what this user may not.
        simulation.run("docker", "run", "--rm", "--volume", f"{self.workdir}:/w", simulation.GOLDEN_IMAGE, "rm", "-rf", "/w/secrets", "/w/logs", check=False)
        subprocess.run(["rm", "-rf", str(self.workdir)], check=False)


def _drop_ins(registry_port: int, forwarded: list[int], address: str) -> dict[str, tuple[str, int]]:
    """The files the fault host gets besides the golden image's (path → text, mode)."""
    engine = "[Unit]\n# The fault host runs its own engine (module docstring).\nConditionVirtualization=\n"
    pairs = " ".join([f"5000={address}:{registry_port}", *(f"{port}={address}:{port}" for port in forwarded)])
    return {
        "/etc/systemd/system/docker.service.d/90-bootsim.conf": (engine, 0o644),
        "/etc/systemd/system/containerd.service.d/90-bootsim.conf": (engine, 0o644),
        "/etc/systemd/system/docker.socket.d/90-bootsim.conf": (engine, 0o644),
        "/etc/systemd/system/chrony.service.d/90-bootsim.conf": (
            "[Unit]\nConditionCapability=\nAfter=bootsim-ntp.service\nWants=bootsim-ntp.service\n"
            "[Service]\nExecStart=\nExecStart=!/usr/sbin/chronyd -x\n", 0o644),
        "/etc/systemd/system/bootsim-forward.service": (
            "[Unit]\nDescription=boot simulation: loopback ports to the test process\nBefore=docker.service\n"
            f"[Service]\nExecStart=/usr/local/lib/bootsim/bootsim-forward {pairs}\nRestart=always\n"
            "[Install]\nWantedBy=multi-user.target\n", 0o644),
        "/etc/systemd/system/bootsim-ntp.service": (
            "[Unit]\nDescription=boot simulation: NTP responder on the Time Sync Service's address\n"
            "[Service]\nExecStartPre=-/sbin/ip address add 169.254.169.123/32 dev lo\n"
            "ExecStart=/usr/local/lib/bootsim/bootsim-ntp\nRestart=always\n", 0o644),
        "/usr/local/lib/bootsim/bootsim-forward": ((HOST_FILES / "bootsim-forward").read_text(), 0o755),
        "/usr/local/lib/bootsim/bootsim-ntp": ((HOST_FILES / "bootsim-ntp").read_text(), 0o755),
    }


def _tar(files: dict[str, tuple[str, int]], links: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))
        for path, target in links.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


def boot(*, registry_up: bool, secrets_at_boot: bool = False) -> FaultHost:
    """Create and start a fault host with the fleet's user data; the registry refused unless
    `registry_up`, and `bootsim-django`'s secret absent unless `secrets_at_boot`."""
    if simulation.run("docker", "image", "inspect", simulation.GOLDEN_IMAGE, check=False).returncode != 0:
        raise simulation.SimulationError(f"{simulation.GOLDEN_IMAGE} is missing; run `make golden-image` first")
    config = load_settings(CONFIG, project="showrunner", stack=simulation.STACK)
    digests = simulation.pipeline_digests()
    instance = f"bootsim-faults-{os.getpid()}-{int(time.time())}"
    address = gateway()
    registry = RegistryProxy(address).start()
    registry.forwarding = registry_up
    aws = AwsStandIn(address, instance).start()
    logs = CloudWatchLogsStandIn({simulation.log_group(service) for service in config.services_on(simulation.FLEET)}, host=address).start()
    stand_ins = {
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{aws.port}",
        "SHOWRUNNER_AUTOSCALING_ENDPOINT": f"http://127.0.0.1:{aws.port}",
        "SHOWRUNNER_CLOUDWATCH_ENDPOINT": f"http://127.0.0.1:{aws.port}",
    }
    text = simulation.user_data(config, digests, logs=logs, host_name=instance, stand_ins=stand_ins, prune=False)
    workdir = Path(tempfile.mkdtemp(prefix="showrunner-faults-"))
    for directory in ("seed", "secrets", "logs"):
        (workdir / directory).mkdir()
    (workdir / "logs").chmod(0o777)  # the containers' /var/log, written by their own users
    (workdir / "secrets").chmod(0o755)
    if secrets_at_boot:
        for service, values in config.secrets.items():
            (workdir / "secrets" / service).mkdir()
            for name, value in values.items():
                (workdir / "secrets" / service / name).write_text(value.get_secret_value())
    (workdir / "seed" / "user-data").write_text(text)
    (workdir / "seed" / "meta-data").write_text(f"instance-id: {instance}\nlocal-hostname: {instance}\n")
    volume = f"{instance}-data"
    simulation.run("docker", "volume", "create", volume)
    simulation.run(
        "docker", "create", "--name", instance, "--hostname", instance, "--stop-signal", "SIGRTMIN+3", "--stop-timeout", "90",
        "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--cap-drop", "SYS_TIME",
        "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
        "--tmpfs", "/run", "--tmpfs", "/run/lock",
        "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "--volume", f"{volume}:/mnt/docker",
        "--volume", f"{workdir / 'seed'}:/var/lib/cloud/seed/nocloud:ro",
        "--volume", f"{workdir / 'secrets'}:{simulation.SECRETS_MOUNT}:ro",
        "--volume", f"{workdir / 'logs'}:/var/log/containers",
        simulation.GOLDEN_IMAGE,
    )  # fmt: skip
    archive = _tar(
        _drop_ins(registry.port, [logs.port, aws.port], address),
        {"/etc/systemd/system/multi-user.target.wants/bootsim-forward.service": "/etc/systemd/system/bootsim-forward.service"},
    )
    subprocess.run(["docker", "cp", "-", f"{instance}:/"], input=archive, check=True, capture_output=True, timeout=60)
    started_at = time.monotonic()
    simulation.run("docker", "start", instance)
    host = FaultHost(container=instance, workdir=workdir, started_at=started_at, services=sorted(CONFIG["services"]), logs=logs,
                     volume=volume, secrets=workdir / "secrets", registry=registry, aws=aws)
    return host


def write_secret(host: FaultHost, service: str, name: str, value: str) -> None:
    """Put a value in the secret store stand-in (atomically: the fetcher never reads half a file)."""
    directory = host.secrets / service
    directory.mkdir(exist_ok=True)
    staged = host.secrets / f".{service}.{name}.tmp"  # outside the service's folder, which the fetcher lists
    staged.write_text(value)
    staged.rename(directory / name)


def container_ids(host: FaultHost, services: tuple[str, ...] = WEB) -> dict[str, list[str]]:
    return {service: host.containers(service) for service in services}


def unit(service: str) -> str:
    return units.unit_name(service)


def wait_all_healthy(host: FaultHost, timeout: float, services: tuple[str, ...] = WEB) -> float:
    """Seconds from now until every one of `services` (default: every web service) answered 200."""
    start = time.monotonic()
    urls = {name: url for name, url in host.health_urls().items() if name in services}
    if simulation.wait_for(lambda: all(simulation.healthy(url) for url in urls.values()), timeout=timeout) is None:
        states = {name: host.unit_state(name) for name in urls}
        raise simulation.SimulationError(f"not healthy after {timeout:.0f}s: {states}\n{host.sh('journalctl --no-pager -n 60 -o cat').stdout}")
    return time.monotonic() - start


def wait_reported_unhealthy(host: FaultHost) -> None:
    """Fault 1, 2: until the host has called SetInstanceHealth (past its start deadline)."""
    if simulation.wait_for(lambda: host.aws.recorded.health, timeout=START_DEADLINE_S + 60) is None:
        raise simulation.SimulationError(f"no SetInstanceHealth 60s past the {START_DEADLINE_S}s start deadline")


def registry_back(host: FaultHost, services: tuple[str, ...] = WEB, timeout: float = 120) -> float:
    """Fault 1's recovery: the registry comes back; the seconds until each of `services` answers."""
    host.registry.forwarding = True
    return wait_all_healthy(host, timeout, services)


def wait_settled(host: FaultHost, timeout: float) -> None:
    """Until every web unit is active again, then answers: with live-restore a container outlives
    its engine, so an answer alone may come from the one its unit is about to replace."""
    if simulation.wait_for(lambda: all(host.unit_state(service) == "active" for service in WEB), timeout=timeout) is None:
        raise simulation.SimulationError(f"units not active after {timeout:.0f}s: {({s: host.unit_state(s) for s in WEB})}")
    wait_all_healthy(host, timeout)


def daemon_restart(host: FaultHost, timeout: float = 120) -> float:
    """Fault 3: `systemctl restart docker` on the host; the seconds until every web service answers again."""
    start = time.monotonic()
    host.sh("systemctl restart docker.service", check=True, timeout=120)
    wait_settled(host, timeout)
    return time.monotonic() - start


def daemon_crash(host: FaultHost, timeout: float = 120) -> tuple[float, bool]:
    """Fault 3, crashed: dockerd killed (SIGKILL); docker.service restarts it. The seconds until every
    web service answers again, and whether a unit said it was not active meanwhile."""
    start = time.monotonic()
    host.sh("kill -9 $(pidof dockerd)", check=True)
    noticed = simulation.wait_for(lambda: any(host.unit_state(service) != "active" for service in WEB), timeout=10, step=0.1) is not None
    wait_settled(host, timeout)
    return time.monotonic() - start, noticed


def reboot(host: FaultHost, timeout: float = 180) -> float:
    """Fault 4: the host restarted (its data volume kept); seconds from its start until every web service answers."""
    simulation.run("docker", "stop", "--time", "90", host.container, timeout=150)
    host.started_at = time.monotonic()
    simulation.run("docker", "start", host.container)
    wait_all_healthy(host, timeout)
    return time.monotonic() - host.started_at
