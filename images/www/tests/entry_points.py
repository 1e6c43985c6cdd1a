"""The image's long-running entry points, as a host runs them: started once for the whole test run.

conftest.py starts them as the session begins, so they come up while the other tests run;
test_startup.py checks them. What they import is bytecode the release keeps (images/www/bytecode.py).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[1]
KEY = "k" * 50
CELERY = str(Path(sys.executable).parent / "celery")
# What the release image's environment sets (ENV in the Dockerfile).
IMAGE_ENV = {"PYTHONPATH": str(APP), "DJANGO_SETTINGS_MODULE": "www.settings", "SECRET_KEY": KEY}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stack_env(down: int) -> dict[str, str]:
    """The variables a host renders for `uses: [mysql, cache, queues]`, with MySQL and Redis down
    (port `down` on the loopback refuses connections)."""
    return {
        "DATABASE_HOST": "127.0.0.1",
        "DATABASE_PORT": str(down),
        "DATABASE_NAME": "showrunner",
        "DATABASE_USER": "showrunner",
        "DATABASE_TLS": "disabled",
        "CACHE_URL": f"redis://127.0.0.1:{down}/0",
        "CELERY_BROKER_URL": "sqs://",
        "CELERY_PREDEFINED_QUEUES": json.dumps({"celery": {"url": "https://sqs.eu-west-1.amazonaws.com/123456789012/prod-celery"}}),
    }


def environ(**env: str) -> dict[str, str]:
    """This environment without the test stage's own settings, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_TEST", "SECRET_KEY")}
    return {**clean, **env}


class Started:
    """A process started in its own session, its output in a file."""

    def __init__(self, name: str, command: list[str], log: Path, cwd: Path = APP, **env: str):
        self.name, self.log = name, log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                command, cwd=cwd, env=environ(**env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, ready, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = ready()
            except OSError:
                result = None
            if result:
                return result
            assert self.process.poll() is None, f"{self.name} exited {self.process.returncode}: {self.output()[-2000:]}"
            assert time.monotonic() < deadline, f"{self.name} not ready after {timeout:.0f} s: {self.output()[-2000:]}"
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        return self.process.wait(timeout=30)


def start(directory: Path) -> dict[str, Started]:
    """start-django with a stack's variables (its stores down), and the Celery worker."""
    port, down = free_port(), free_port()
    while down == port:
        down = free_port()
    processes = {
        "site": Started(
            "start-django", [str(APP / "bin" / "start-django")], directory / "start-django.log", cwd=Path("/"),
            **IMAGE_ENV, **stack_env(down), PORT=str(port), DJANGO_DB_PATH=str(directory / "www.sqlite3"),
        ),
        "worker": Started(
            "celery worker", [CELERY, "-A", "www", "worker", "--loglevel=INFO", "--concurrency=1"], directory / "worker.log",
            **IMAGE_ENV,
        ),
    }
    processes["site"].port = port
    processes["site"].database = directory / "www.sqlite3"
    return processes


def stop(processes: dict[str, Started]) -> None:
    for process in processes.values():
        process.stop(signal.SIGKILL)
