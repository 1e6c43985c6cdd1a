"""A stand-in AWS endpoint for the workflow steps that call AWS (`make rollout-wait`, and `make
promote`'s tools/protect-releases), run as the workflows run them.

boto3 reaches it through `AWS_ENDPOINT_URL` (botocore's documented override of every service's
endpoint), signs its requests as it would for AWS, and parses AWS's wire formats back: Auto
Scaling's query protocol (XML) and ECR's JSON 1.1. The answers are the Python shapes boto3 returns
(tests/unit/recorded holds them), serialised here with botocore's own service models, so a member
name or a list wrapper the stand-in got wrong fails the client's parser as AWS's would not.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import escape

import botocore.session

_JSON_TARGETS = {"AmazonEC2ContainerRegistry_V20150921": "ecr"}
_QUERY_NAMESPACES = {"autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/"}


class AwsError(Exception):
    """An error answer: AWS's error code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _model(service: str):
    return botocore.session.get_session().get_service_model(service)


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return str(value)


def _xml(shape, value: Any) -> str:
    """A value in the query protocol's XML, by its botocore shape."""
    if shape.type_name == "structure":
        out = []
        for name, member in shape.members.items():
            if name in value:
                tag = member.serialization.get("name", name)
                out.append(f"<{tag}>{_xml(member, value[name])}</{tag}>")
        return "".join(out)
    if shape.type_name == "list":
        return "".join(f"<member>{_xml(shape.member, item)}</member>" for item in value)
    if shape.type_name == "timestamp":
        return _timestamp(value)
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return escape(str(value))


def _json_default(value: Any):
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value))


class FakeAws:
    """`answer(service, operation, *responses)`: the responses in order, the last one repeated; an
    `AwsError` among them is answered as AWS's error. `calls`: (service, operation, parameters)."""

    def __init__(self):
        self.answers: dict[tuple[str, str], list] = {}
        self.calls: list[tuple[str, str, dict]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — the http.server hook
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target = self.headers.get("X-Amz-Target")
                if target:
                    prefix, _, operation = target.partition(".")
                    service, params = _JSON_TARGETS[prefix], json.loads(body or b"{}")
                else:
                    form = dict(urllib.parse.parse_qsl(body.decode()))
                    service, operation, params = "autoscaling", form.pop("Action"), form
                fake.calls.append((service, operation, params))
                self._answer(service, operation, fake._next(service, operation), json_protocol=bool(target))

            def _answer(self, service: str, operation: str, response, *, json_protocol: bool):
                if isinstance(response, AwsError):
                    status = 400
                    if json_protocol:
                        payload = json.dumps({"__type": response.code, "message": response.message}).encode()
                    else:
                        payload = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{response.code}</Code><Message>{escape(response.message)}"
                                   "</Message></Error><RequestId>0</RequestId></ErrorResponse>").encode()
                else:
                    status = 200
                    output = _model(service).operation_model(operation).output_shape
                    if json_protocol:
                        payload = json.dumps(response, default=_json_default).encode()
                    else:
                        wrapper = output.serialization.get("resultWrapper", f"{operation}Result")
                        payload = (f'<{operation}Response xmlns="{_QUERY_NAMESPACES[service]}"><{wrapper}>{_xml(output, response)}</{wrapper}>'
                                   f"<ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></{operation}Response>").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1" if json_protocol else "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def answer(self, service: str, operation: str, *responses) -> None:
        self.answers[(service, operation)] = list(responses)

    def _next(self, service: str, operation: str):
        queue = self.answers.get((service, operation))
        if not queue:
            return AwsError("InvalidAction", f"the stand-in has no answer for {service} {operation}")
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def __enter__(self) -> FakeAws:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self) -> dict[str, str]:
        """What points boto3 here, with credentials it signs with and no instance metadata to look for."""
        host, port = self.server.server_address[:2]
        return {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "stand-in",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
