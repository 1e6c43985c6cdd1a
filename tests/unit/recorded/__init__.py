"""AWS responses as AWS sends them, for the commands that call AWS, under botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from botocore.stub import Stubber


@contextmanager
def stubbed(service: str) -> Iterator[tuple]:
    """(a client of `service` that never reaches AWS, its Stubber); every queued response must be used."""
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="stubbed")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
