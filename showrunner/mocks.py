"""Pulumi mocks that stand in for the engine and the AWS provider.

They power both the unit tests and the offline preview, so they are deterministic (the same
program and config always produce the same ids, ARNs and digests) and strict: a function token
nobody mocked is recorded and fails the run, naming the token, instead of returning nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks

from showrunner.config.stackfile import SECRET_PLACEHOLDER

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
"""The region when the stack sets no `aws:region`; otherwise ARNs, endpoints, zones and the public
SSM parameters follow the stack's."""

# Words in region names → the letters AWS's short codes use (`us-east-1` → `use1`, `ap-southeast-2` → `apse2`).
_DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c", "northeast": "ne", "southeast": "se",
               "northwest": "nw", "southwest": "sw", "gov": "g", "iso": "i", "isob": "ib"}
_REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-2": "US West (Oregon)",
                 "eu-west-1": "Europe (Ireland)", "eu-central-1": "Europe (Frankfurt)", "ap-southeast-2": "Asia Pacific (Sydney)"}


def region_code(region: str) -> str:
    """AWS's short code of a region, as zone ids and ElastiCache endpoints write it (`use1`)."""
    country, *words = region.split("-")
    return country + "".join(_DIRECTIONS.get(word, word[:1]) for word in words[:-1]) + (words[-1] if words else "")

# Physical-id prefixes AWS uses, so that preview output reads like the real thing.
_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
}


_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_ASSET_SIGS = {"c44067f5952c0a294b673a41bacd8c17": "asset", "0def7320c3a5731c473e5ecbe6d01bc7": "archive"}
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


REDACTED = SECRET_PLACEHOLDER
"""How a secret value appears in every rendering: the tree, the preview JSON, the diff."""


class Secret:
    """A value the engine marked secret; it renders only as REDACTED."""

    __slots__ = ()

    def __repr__(self) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret)

    def __hash__(self) -> int:
        return hash(REDACTED)


SECRET = Secret()
UNKNOWN = "[unknown]"


def plain(value: Any) -> Any:
    """Engine wire values → plain data: secrets become SECRET, unknowns UNKNOWN, references URNs."""
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig in _ASSET_SIGS:
            return {_ASSET_SIGS[sig]: value.get("path") or value.get("uri") or "[assets]"}
        if sig == _OUTPUT_SIG:
            if value.get("secret"):
                return SECRET
            return plain(value["value"]) if "value" in value else UNKNOWN
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == _UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _wire(struct) -> Any:
    return plain(json_format.MessageToDict(struct))


class UnmockedFunctionError(Exception):
    """A program called a provider function that the offline engine does not know."""


def digest(*parts: Any) -> str:
    """A stable hex digest of JSON-able parts."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def _service_of(type_token: str) -> str:
    module = type_token.split(":")[1].split("/")[0]
    return {"index": "aws", "lb": "elasticloadbalancing", "vpc": "ec2", "cloudwatch": "cloudwatch"}.get(
        module, module
    )


def _resource_outputs(type_token: str, name: str, inputs: dict, region: str = REGION) -> tuple[str, dict]:
    """The id and computed outputs a provider would report for a new resource in `region`."""
    short = digest(type_token, name)[:17]
    resource_id = _ID_PREFIXES.get(type_token, "") + (short if type_token in _ID_PREFIXES else name)
    physical_name = inputs.get("name") or f"{name}-{short[:7]}"
    service = _service_of(type_token)
    kind = type_token.split(":")[-1]
    kind = kind[0].lower() + kind[1:]
    outputs: dict[str, Any] = {
        "arn": f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{physical_name}",
        "name": physical_name,
    }

    if type_token == "aws:ecr/repository:Repository":
        outputs["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{physical_name}"
        outputs["registryId"] = ACCOUNT_ID
    elif type_token == "docker:index/image:Image":
        image_name = inputs.get("imageName", name)
        repository = image_name.rsplit(":", 1)[0] if ":" in image_name.split("/")[-1] else image_name
        outputs["repoDigest"] = f"{repository}@sha256:{digest(inputs)}"
        outputs["imageName"] = image_name
    elif type_token.startswith("aws:iam/"):
        iam_kind = {"instanceProfile": "instance-profile", "openIdConnectProvider": "oidc-provider"}.get(kind, kind)
        outputs["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:{iam_kind}/{physical_name}"
        outputs["uniqueId"] = "AROA" + short.upper()
    elif type_token == "aws:kms/key:Key":
        key_id = f"{short[:8]}-{short[8:12]}-{short[12:16]}-0000-{short[:12]}"
        resource_id = key_id
        outputs["keyId"] = key_id
        outputs["arn"] = f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}"
    elif type_token == "aws:ssm/parameter:Parameter":
        outputs["arn"] = f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter{physical_name}"
    elif type_token.startswith("aws:lb/"):
        # As AWS writes them: app/<name>/<id> for an ALB, targetgroup/<name>/<id> for a target group.
        suffix_kind = {"loadBalancer": "app", "targetGroup": "targetgroup"}.get(kind, kind.lower())
        outputs["arnSuffix"] = f"{suffix_kind}/{physical_name}/{short[:16]}"
        outputs["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{'loadbalancer/' if kind == 'loadBalancer' else ''}{outputs['arnSuffix']}"
        if kind == "loadBalancer":
            outputs["dnsName"] = f"{physical_name}-{short[:10]}.{region}.elb.amazonaws.com"
            outputs["zoneId"] = "Z35SXDOTRQ7X7K"
    elif type_token == "aws:ec2/launchTemplate:LaunchTemplate":
        outputs["latestVersion"] = 1
    elif type_token == "aws:rds/instance:Instance":
        identifier = inputs.get("identifier") or physical_name
        resource_id = identifier
        outputs["arn"] = f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{identifier}"
        outputs["address"] = f"{identifier}.c{short[:12]}.{region}.rds.amazonaws.com"
        outputs["port"] = inputs.get("port", 3306)
        outputs["endpoint"] = f"{outputs['address']}:{outputs['port']}"
        if inputs.get("manageMasterUserPassword"):
            # RDS names the secret it manages rds!db-<uuid>; Secrets Manager appends six characters.
            uuid = f"{short[:8]}-{short[8:12]}-{short[12:16]}-0000-{short[:12]}"
            outputs["masterUserSecrets"] = [
                {
                    "secretArn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!db-{uuid}-{short[:6]}",
                    "secretStatus": "active",
                    "kmsKeyId": f"arn:aws:kms:{region}:{ACCOUNT_ID}:alias/aws/secretsmanager",
                }
            ]
    elif type_token == "aws:elasticache/replicationGroup:ReplicationGroup":
        group_id = inputs.get("replicationGroupId") or physical_name
        resource_id = group_id
        outputs["arn"] = f"arn:aws:elasticache:{region}:{ACCOUNT_ID}:replicationgroup:{group_id}"
        outputs["primaryEndpointAddress"] = f"master.{group_id}.{short[:6]}.{region_code(region)}.cache.amazonaws.com"
        outputs["readerEndpointAddress"] = f"replica.{group_id}.{short[:6]}.{region_code(region)}.cache.amazonaws.com"
    elif type_token == "aws:sqs/queue:Queue":
        outputs["arn"] = f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{physical_name}"
        outputs["url"] = f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{physical_name}"
        resource_id = outputs["url"]
    elif type_token == "aws:dynamodb/table:Table":
        outputs["arn"] = f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{physical_name}"
        resource_id = physical_name
    elif type_token.startswith("aws:imagebuilder/"):
        version = inputs.get("version", "1.0.0")
        outputs["arn"] = f"arn:aws:imagebuilder:{region}:{ACCOUNT_ID}:{kind.lower()}/{physical_name}/{version}"
    return resource_id, outputs


def _ami_id(name: str, region: str) -> str:
    """A public AMI parameter's value: per region, as AWS publishes them (us-east-1 keeps the ids it always had)."""
    return "ami-" + (digest(name) if region == REGION else digest(name, region))[:17]


@dataclass
class RecordedResource:
    """One resource registration as the engine saw it: what `pulumi preview --json` reports."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    replace_with: list[str] = field(default_factory=list)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps inputs (secrets marked), parents, options and stack outputs."""

    def __init__(self, mocks: "ShowrunnerMocks"):
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.recorded.append(
                RecordedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=request.custom,
                    inputs=_wire(request.object),
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    ignore_changes=list(request.ignoreChanges),
                    dependencies=sorted(request.dependencies),
                    replace_with=list(request.replace_with),
                )
            )
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = _wire(request.outputs)
        return super().RegisterResourceOutputs(request)


class ShowrunnerMocks(pulumi.runtime.Mocks):
    """Deterministic answers for every resource and for the functions the program calls."""

    def __init__(self, stack: str, region: str = REGION):
        self.stack = stack
        self.region = region
        self.unmocked_calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id, computed = _resource_outputs(args.typ, args.name, args.inputs, self.region)
        return resource_id, {**computed, **args.inputs, **_always_computed(args.typ, computed)}

    def call(self, args: pulumi.runtime.MockCallArgs):
        handler = _FUNCTIONS.get(args.token)
        if handler is None:
            self.unmocked_calls.append(args.token)
            raise UnmockedFunctionError(f"function {args.token} is not mocked by the offline engine")
        return handler(args.args, self.region)


def _always_computed(type_token: str, computed: dict) -> dict:
    """Outputs that the provider computes even when the program passed an input of that name."""
    if type_token == "docker:index/image:Image":
        return {"repoDigest": computed["repoDigest"]}
    return {}


def _ssm_parameter(args: dict, region: str) -> dict:
    name = args["name"]
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter{name if name.startswith('/') else '/' + name}",
        "type": "String",
        "value": _ami_id(name, region),
        "insecureValue": _ami_id(name, region),
        "version": 1,
        "withDecryption": args.get("withDecryption", True),
    }


_FUNCTIONS = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a, region: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-preview",
        "userId": "AIDAOFFLINEPREVIEW",
        "id": ACCOUNT_ID,
    },
    "aws:index/getRegion:getRegion": lambda a, region: {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": _REGION_NAMES.get(region, region),
    },
    "aws:index/getPartition:getPartition": lambda a, region: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a, region: {
        "names": [f"{region}{z}" for z in "abcdef"],
        "zoneIds": [f"{region_code(region)}-az{i}" for i in range(1, 7)],
        "groupNames": [region],
        "id": region,
        "state": a.get("state", "available"),
    },
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": lambda a, region: {
        "id": region,
        "userName": "AWS",
        "password": "offline-preview-not-a-token",
        "authorizationToken": "offline-preview-not-a-token",
        "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com",
        "expiresAt": "2000-01-01T00:00:00Z",
    },
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    # An existing VPC (`showrunner:network.vpc_id`): what the provider reads of it.
    "aws:ec2/getVpc:getVpc": lambda a, region: {
        "id": a.get("id", "vpc-0123456789abcdef0"),
        "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:vpc/{a.get('id', 'vpc-0123456789abcdef0')}",
        "cidrBlock": "10.0.0.0/16",
        "default": False,
        "state": "available",
        "ownerId": ACCOUNT_ID,
        "enableDnsSupport": True,
        "enableDnsHostnames": True,
        "instanceTenancy": "default",
        "mainRouteTableId": "rtb-" + digest(a.get("id", ""))[:17],
        "cidrBlockAssociations": [],
        "tags": {},
    },
}
