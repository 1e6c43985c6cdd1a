"""Tagging promoted digests as releases (showrunner/release.py), against botocore's Stubber."""

from __future__ import annotations

import io

import pytest

from showrunner.release import MANIFEST_TYPES, ReleaseError, parse_pins, protect
from tests.unit.recorded import stubbed

DIGEST = "sha256:" + "7af0b7b0" * 8
REFERENCE = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/staging/www@{DIGEST}"
MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{}}'
IDS = {"registryId": "123456789012", "repositoryName": "showrunner/staging/www"}


@pytest.fixture
def ecr():
    with stubbed("ecr") as pair:
        yield pair


def _found(stubber) -> None:
    stubber.add_response(
        "batch_get_image",
        {"images": [{"registryId": "123456789012", "repositoryName": "showrunner/staging/www", "imageId": {"imageDigest": DIGEST, "imageTag": "3f9a0c1d2e4b5a61"},
                     "imageManifest": MANIFEST, "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json"}], "failures": []},
        {**IDS, "imageIds": [{"imageDigest": DIGEST}], "acceptedMediaTypes": MANIFEST_TYPES},
    )


PUT = {**IDS, "imageManifest": MANIFEST, "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
       "imageTag": "release-prod-7af0b7b07af0", "imageDigest": DIGEST}


def test_a_promoted_digest_is_retagged_in_its_source_repository(ecr):
    client, stubber = ecr
    _found(stubber)
    stubber.add_response("put_image", {"image": {"registryId": "123456789012", "repositoryName": "showrunner/staging/www",
                                                 "imageId": {"imageDigest": DIGEST, "imageTag": "release-prod-7af0b7b07af0"}, "imageManifest": MANIFEST}}, PUT)
    out = io.StringIO()
    protect(parse_pins([f"www {REFERENCE}"]), "prod", lambda region: client, out)
    assert out.getvalue() == f"protect-releases: www: showrunner/staging/www@{DIGEST[:19]}… tagged release-prod-7af0b7b07af0\n"


def test_tagging_again_is_a_no_op(ecr):
    client, stubber = ecr
    _found(stubber)
    stubber.add_client_error("put_image", "ImageAlreadyExistsException", "Image with digest and tag already exists", expected_params=PUT)
    out = io.StringIO()
    protect(parse_pins([f"www {REFERENCE}"]), "prod", lambda region: client, out)
    assert "already tagged release-prod-7af0b7b07af0" in out.getvalue()


def test_a_digest_that_already_expired_is_one_line(ecr):
    client, stubber = ecr
    stubber.add_response("batch_get_image", {"images": [], "failures": [{"imageId": {"imageDigest": DIGEST}, "failureCode": "ImageNotFound",
                                                                        "failureReason": "Requested image not found"}]},
                         {**IDS, "imageIds": [{"imageDigest": DIGEST}], "acceptedMediaTypes": MANIFEST_TYPES})
    with pytest.raises(ReleaseError, match=r"^www: showrunner/staging/www@sha256:7af0.* cannot be read \(Requested image not found\): it may have expired already$"):
        protect(parse_pins([f"www {REFERENCE}"]), "prod", lambda region: client, io.StringIO())


def test_pins_must_be_ecr_digests():
    with pytest.raises(ReleaseError, match=r"^line 2: 'registry.example/www:latest' is not an ECR image pinned by digest$"):
        parse_pins([f"www {REFERENCE}", "micro registry.example/www:latest"])
