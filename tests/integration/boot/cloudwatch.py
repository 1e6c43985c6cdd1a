"""A CloudWatch Logs stand-in on loopback, for the boot simulation's containers' awslogs driver.

The simulated host's containers run on this machine's Docker engine, which has no instance role
and must reach no AWS endpoint. The units render the driver exactly as a fleet host's do (region,
group, tag, non-blocking, buffer), plus the simulation's two overrides (`HostLogging.endpoint`,
`.credentials_endpoint`), both answered here:

- `awslogs-credentials-endpoint`: the driver asks `http://169.254.170.2<value>` for credentials
  (ECS's container credentials); the value `@127.0.0.1:<port>/credentials` makes that address the
  URL's user part and this server its host, so no request leaves the machine. It answers stand-in
  credentials in ECS's shape.
- `awslogs-endpoint`: CloudWatch Logs' JSON API (`X-Amz-Target: Logs_20140328.<Action>`):
  CreateLogStream and PutLogEvents are recorded; the groups must exist (`groups`), as the fleet's
  log groups do, or the answer is ResourceNotFoundException, as AWS's is.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CREDENTIALS_PATH = "/credentials"
TARGET_PREFIX = "Logs_20140328."
KEPT_PER_STREAM = 5000


@dataclass
class Recorded:
    groups: set[str]
    streams: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(group, stream) → the messages put, in order."""
    events: dict[tuple[str, str], int] = field(default_factory=dict)
    """(group, stream) → how many events were put."""
    credential_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self, group: str) -> list[str]:
        with self.lock:
            return [m for (g, _), messages in self.streams.items() if g == group for m in messages]

    def stream_names(self, group: str) -> list[str]:
        with self.lock:
            return sorted(s for g, s in self.streams if g == group)


class CloudWatchLogsStandIn:
    def __init__(self, groups: set[str], host: str = "127.0.0.1"):
        """Listens on `host` (a fault host reaches it on the bridge gateway, through its forwarder on
        its own 127.0.0.1 and the same port: the endpoints below hold for both)."""
        self.recorded = Recorded(groups=set(groups))
        recorded = self.recorded

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: pytest shows failures, not every request
                pass

            def _answer(self, status: int, body: dict, content_type: str = "application/x-amz-json-1.1") -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                if self.path != CREDENTIALS_PATH:
                    return self._answer(404, {"message": f"no {self.path}"}, "application/json")
                with recorded.lock:
                    recorded.credential_requests += 1
                self._answer(200, {"AccessKeyId": "ASIABOOTSIMULATION01", "SecretAccessKey": "boot-simulation-stand-in",
                                   "Token": "boot-simulation-stand-in", "Expiration": "2099-01-01T00:00:00Z"}, "application/json")

            def do_POST(self):  # noqa: N802
                action = self.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                group, stream = body.get("logGroupName"), body.get("logStreamName")
                if group not in recorded.groups:
                    return self._answer(400, {"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."})
                with recorded.lock:
                    if action == "CreateLogStream":
                        recorded.streams.setdefault((group, stream), [])
                        return self._answer(200, {})
                    if action == "PutLogEvents":
                        messages = recorded.streams.setdefault((group, stream), [])
                        events = body.get("logEvents", [])
                        recorded.events[(group, stream)] = recorded.events.get((group, stream), 0) + len(events)
                        # A flood's events are counted, only the first KEPT_PER_STREAM kept.
                        messages += [event["message"] for event in events[: max(0, KEPT_PER_STREAM - len(messages))]]
                        return self._answer(200, {"nextSequenceToken": str(recorded.events[(group, stream)])})
                self._answer(400, {"__type": "InvalidAction", "message": f"{action} is not served by the stand-in"})

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="cloudwatch-logs-stand-in", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials_endpoint(self) -> str:
        """The driver's `awslogs-credentials-endpoint` value (see the module docstring)."""
        return f"@127.0.0.1:{self.port}{CREDENTIALS_PATH}"

    def start(self) -> CloudWatchLogsStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
