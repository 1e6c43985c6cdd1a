"""Pulumi mocks that stand in for the engine and the AWS provider.

They power both the unit tests and the offline preview, so they are deterministic (the same
program and config always produce the same ids, ARNs and digests) and strict: a function token
nobody mocked is recorded and fails the run, naming the token, instead of returning nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

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


def plain(value: Any, path: str = "", secrets: dict[str, str] | None = None) -> Any:
    """Engine wire values → plain data: secrets become SECRET, unknowns UNKNOWN, references URNs.

    With `secrets`, each secret's path (`environment.TOKEN`, `rules[0].value`) is recorded there with
    `fingerprint()` of the value the engine holds, so that a changed secret can be told from an
    unchanged one without ever writing the value.
    """
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            if secrets is not None:
                secrets[path] = fingerprint(value.get("value"))
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig in _ASSET_SIGS:
            return {_ASSET_SIGS[sig]: value.get("path") or value.get("uri") or "[assets]"}
        if sig == _OUTPUT_SIG:
            if value.get("secret"):
                if secrets is not None:
                    secrets[path] = fingerprint(value.get("value"))
                return SECRET
            return plain(value["value"], path, secrets) if "value" in value else UNKNOWN
        return {k: plain(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    if value == _UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_PLAIN_SCALARS = (str, bool, int, float)


def _is_plain(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN_SCALARS or value is None:
        return True
    if kind is dict:
        return all(type(key) is str and _is_plain(item) for key, item in value.items())
    if kind is list:
        return all(_is_plain(item) for item in value)
    return False


def plain_struct(state: dict) -> struct_pb2.Struct | None:
    """`state` as `rpc.serialize_properties(state, {})` makes it, for plain data; None for anything else.

    Plain data is str, bool, int, float, None and dicts and lists of them (exactly those types: an
    enum, an Output, an asset or a tuple is not): the SDK's serializer returns such values as they
    are, drops a top-level None and keeps a nested one, and it does so through a coroutine per
    value on an event loop of the worker thread. A unit test holds the two to the same bytes for
    every resource of the prod and staging previews.
    """
    if not all(type(key) is str and _is_plain(value) for key, value in state.items()):
        return None
    struct = struct_pb2.Struct()
    struct.update({key: value for key, value in state.items() if value is not None})
    return struct


def _wire(struct, secrets: dict[str, str] | None = None) -> Any:
    return plain(json_format.MessageToDict(struct), "", secrets)


FINGERPRINT_KEY = b"showrunner offline preview"
"""Keys `fingerprint()`; `engine.run_stack` sets it per project and stack before the program runs."""


def fingerprint(value: Any) -> str:
    """A keyed hash of a secret as the offline engine holds it: equal values, equal fingerprints.

    What the engine holds is never a plaintext: config secrets arrive as `secret_marker()` of their
    ciphertext. The hash is one-way; nothing reversible is written.
    """
    blob = json.dumps(value, sort_keys=True, default=str).encode()
    return "hmac-sha256:" + hmac.new(FINGERPRINT_KEY, blob, hashlib.sha256).hexdigest()[:32]


def secret_marker(ciphertext: str) -> str:
    """What a `secure:` config value becomes offline, in place of the value it cannot decrypt."""
    return f"{REDACTED} {hmac.new(FINGERPRINT_KEY, ciphertext.encode(), hashlib.sha256).hexdigest()[:32]}"


def _string_leaves(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_leaves(item, f"{path}[{index}]")


class UnmockedFunctionError(Exception):
    """A program called a provider function that the offline engine does not know."""


def digest(*parts: Any) -> str:
    """A stable hex digest of JSON-able parts."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def _uuid_like(hex_digits: str) -> str:
    """A UUID-shaped id (8-4-4-4-12) from 16 or more hex digits, as AWS writes the ids it assigns."""
    return f"{hex_digits[:8]}-{hex_digits[8:12]}-{hex_digits[12:16]}-0000-{hex_digits[:12]}"


def _service_of(type_token: str) -> str:
    module = type_token.split(":")[1].split("/")[0]
    return {"index": "aws", "lb": "elasticloadbalancing", "vpc": "ec2", "cloudwatch": "cloudwatch"}.get(
        module, module
    )


# The resource-type segment of an EC2 ARN (…:ec2:<region>:<account>:<kind>/<id>), as the Service
# Authorization Reference writes it; AWS names EC2 resources by id, never by name.
_EC2_ARN_KINDS = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "security-group",
    "aws:ec2/launchTemplate:LaunchTemplate": "launch-template",
    "aws:ec2/internetGateway:InternetGateway": "internet-gateway",
    "aws:ec2/natGateway:NatGateway": "natgateway",
    "aws:ec2/eip:Eip": "elastic-ip",
    "aws:ec2/routeTable:RouteTable": "route-table",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security-group-rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security-group-rule",
}
# Image Builder's resource-type segments; AWS writes the name in lower case.
_IMAGEBUILDER_ARN_KINDS = {
    "component": "component",
    "distributionConfiguration": "distribution-configuration",
    "imagePipeline": "image-pipeline",
    "imageRecipe": "image-recipe",
    "infrastructureConfiguration": "infrastructure-configuration",
}


def _resource_outputs(type_token: str, name: str, inputs: dict, stack: str = "", region: str = REGION) -> tuple[str, dict]:
    """The id and computed outputs a provider would report for a new resource in `region`.

    ARNs are in AWS's exact format for each type (the Service Authorization Reference's; the AWS
    tier checks every one of them).
    """
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

    prefix = f"arn:aws:{service}:{region}:{ACCOUNT_ID}"
    if type_token in _EC2_ARN_KINDS:
        outputs["arn"] = f"arn:aws:ec2:{region}:{ACCOUNT_ID}:{_EC2_ARN_KINDS[type_token]}/{resource_id}"
    if type_token == "aws:autoscaling/group:Group":
        uuid = _uuid_like(short)
        outputs["arn"] = f"{prefix}:autoScalingGroup:{uuid}:autoScalingGroupName/{physical_name}"
    elif type_token == "aws:cloudwatch/logGroup:LogGroup":
        outputs["arn"] = f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{physical_name}"
    elif type_token == "aws:elasticache/subnetGroup:SubnetGroup":
        outputs["arn"] = f"{prefix}:subnetgroup:{physical_name}"
    elif type_token == "aws:rds/parameterGroup:ParameterGroup":
        outputs["arn"] = f"{prefix}:pg:{physical_name}"
    elif type_token == "aws:rds/subnetGroup:SubnetGroup":
        outputs["arn"] = f"{prefix}:subgrp:{physical_name}"
    elif type_token == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or physical_name
        outputs["arn"] = f"arn:aws:s3:::{bucket}"
        outputs["bucket"] = bucket
        resource_id = bucket
    elif type_token == "aws:sns/topic:Topic":
        outputs["arn"] = f"{prefix}:{physical_name}"
        resource_id = outputs["arn"]
    elif type_token == "aws:kms/alias:Alias":
        outputs["arn"] = f"{prefix}:{physical_name}" if physical_name.startswith("alias/") else f"{prefix}:alias/{physical_name}"
    if type_token == "aws:ecr/repository:Repository":
        outputs["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{physical_name}"
        outputs["registryId"] = ACCOUNT_ID
    elif type_token == "docker:index/image:Image":
        image_name = inputs.get("imageName", name)
        repository = image_name.rsplit(":", 1)[0] if ":" in image_name.split("/")[-1] else image_name
        outputs["repoDigest"] = f"{repository}@sha256:{digest(inputs)}"
        outputs["imageName"] = image_name
    elif type_token == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        # IAM names an OIDC provider by its URL without the scheme.
        url = str(inputs.get("url", physical_name))
        outputs["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url.split('://', 1)[-1].rstrip('/')}"
        resource_id = outputs["arn"]
    elif type_token.startswith("aws:iam/"):
        iam_kind = {"instanceProfile": "instance-profile"}.get(kind, kind)
        outputs["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:{iam_kind}/{physical_name}"
        outputs["uniqueId"] = "AROA" + short.upper()
    elif type_token == "aws:kms/key:Key":
        # Key ids are random: two stacks' keys never share one (the digest includes the stack).
        keyed = digest(type_token, name, stack)[:17]
        key_id = _uuid_like(keyed)
        resource_id = key_id
        outputs["keyId"] = key_id
        outputs["arn"] = f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}"
    elif type_token == "aws:ssm/parameter:Parameter":
        outputs["arn"] = f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter{physical_name}"
    elif type_token == "aws:lb/listener:Listener":
        # listener/app/<load balancer name>/<load balancer id>/<listener id>, under its load balancer's.
        balancer = str(inputs.get("loadBalancerArn", ""))
        parent = balancer.split(":loadbalancer/", 1)[1] if ":loadbalancer/" in balancer else f"app/{physical_name}/{short[:16]}"
        outputs["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener/{parent}/{short[:16]}"
        resource_id = outputs["arn"]
    elif type_token == "aws:lb/listenerRule:ListenerRule":
        listener = str(inputs.get("listenerArn", ""))
        parent = listener.split(":listener/", 1)[1] if ":listener/" in listener else f"app/{physical_name}/{short[:16]}/{short[:16]}"
        outputs["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener-rule/{parent}/{short[:16]}"
        resource_id = outputs["arn"]
    elif type_token.startswith("aws:lb/"):
        # As AWS writes them: app/<name>/<id> for an ALB, targetgroup/<name>/<id> for a target group.
        suffix_kind = {"loadBalancer": "app", "targetGroup": "targetgroup"}.get(kind, kind.lower())
        outputs["arnSuffix"] = f"{suffix_kind}/{physical_name}/{short[:16]}"
        outputs["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{'loadbalancer/' if kind == 'loadBalancer' else ''}{outputs['arnSuffix']}"
        if kind == "loadBalancer":
            outputs["dnsName"] = f"{physical_name}-{short[:10]}.{region}.elb.amazonaws.com"
            outputs["zoneId"] = "Z35SXDOTRQ7X7K"
    elif type_token == "aws:cloudwatch/metricAlarm:MetricAlarm":
        outputs["arn"] = f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{physical_name}"
    elif type_token == "aws:cloudwatch/eventRule:EventRule":
        outputs["arn"] = f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{physical_name}"
    elif type_token == "aws:cloudwatch/dashboard:Dashboard":
        # Dashboards are global: no region in the ARN.
        outputs["dashboardArn"] = f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{inputs.get('dashboardName') or physical_name}"
        outputs.pop("arn", None)
    elif type_token == "aws:sns/topicSubscription:TopicSubscription":
        # <topic ARN>:<subscription id>, a UUID AWS assigns.
        outputs["arn"] = f"{inputs.get('topic')}:{_uuid_like(short)}"
        resource_id = outputs["arn"]
    elif type_token == "aws:ec2/launchTemplate:LaunchTemplate":
        outputs["latestVersion"] = 1
    elif type_token == "aws:rds/instance:Instance":
        identifier = inputs.get("identifier") or physical_name
        resource_id = identifier
        outputs["arn"] = f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{identifier}"
        outputs["address"] = f"{identifier}.c{short[:12]}.{region}.rds.amazonaws.com"
        outputs["port"] = inputs.get("port", 3306)
        outputs["endpoint"] = f"{outputs['address']}:{outputs['port']}"
        outputs["resourceId"] = f"db-{short.upper()[:26]}"
        if inputs.get("manageMasterUserPassword"):
            # RDS names the secret it manages rds!db-<uuid>; Secrets Manager appends six characters.
            uuid = _uuid_like(short)
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
    elif type_token.startswith("aws:imagebuilder/") and kind in _IMAGEBUILDER_ARN_KINDS:
        # component/<name>/<version>/<build version>, image-recipe/<name>/<version>, and the
        # unversioned configurations and pipelines; AWS writes names in lower case.
        arn_name = physical_name.lower()
        versioned = {"component": f"/{inputs.get('version', '1.0.0')}/1", "imageRecipe": f"/{inputs.get('version', '1.0.0')}"}
        outputs["arn"] = f"{prefix}:{_IMAGEBUILDER_ARN_KINDS[kind]}/{arn_name}{versioned.get(kind, '')}"
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
    aliases: list[str] = field(default_factory=list)
    """Former URNs this resource answers to: its own aliases and those it inherits from its parent."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Input path → `fingerprint()` of each secret input."""
    unknowns: list[str] = field(default_factory=list)
    """Input paths whose value is an output only the cloud knows (an id, an ARN), made up by the mocks."""


def child_urn(parent: str, type_token: str, name: str, stack: str, project: str) -> str:
    """A resource's URN as Pulumi's mock monitor makes it: its parent's type, `$`, its own type.

    (The engine prefixes the parent's whole qualified type and leaves the root stack out; the two
    agree below a component, which is as deep as this program goes. Keeping the mock monitor's rule
    keeps every URN equal to those in earlier offline previews.)
    """
    if parent:
        type_token = f"{_urn_parts(parent)[2].split('$')[-1]}${type_token}"
    return f"urn:pulumi:{stack}::{project}::{type_token}::{name}"


def _urn_parts(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, qualified type, name) of a URN."""
    _, _, rest = urn.partition("urn:pulumi:")
    stack, project, qualified_type, name = rest.split("::", 3)
    return stack, project, qualified_type, name


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps inputs (secrets marked), parents, options and stack outputs.

    Aliases are resolved to URNs the way the engine resolves alias specs, children inheriting
    their parent's aliases, so a renamed component and its children can be matched to their old URNs.
    """

    def __init__(self, mocks: "ShowrunnerMocks"):
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self.stack_secrets: dict[str, str] = {}
        self.made_up: dict[str, set[str]] = {}
        """URN → the string outputs the mock provider made up for it (ids, ARNs, endpoints)."""
        self._aliases: dict[str, list[str]] = {}

    def _resolve_aliases(self, request) -> list[str]:
        stack, project = pulumi.get_stack(), pulumi.get_project()
        own: list[str] = []
        for alias in request.aliases:
            if alias.WhichOneof("alias") == "urn":
                own.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            own.append(child_urn(parent, spec.type or request.type, spec.name or request.name,
                                 spec.stack or stack, spec.project or project))
        found = list(dict.fromkeys(own))
        # As the engine does: each alias of the parent gives the child an alias under it, and so
        # does each of the child's own aliases. A child named after its parent ("www-role" under
        # "www") follows a renamed parent's name.
        if request.parent in self._aliases:
            parent_name = _urn_parts(request.parent)[3]
            names = [(request.type, request.name)] + [(_urn_parts(a)[2].rsplit("$", 1)[-1], _urn_parts(a)[3]) for a in own]
            for parent_alias in self._aliases[request.parent]:
                for child_type, child_name in names:
                    if child_name.startswith(parent_name):
                        child_name = _urn_parts(parent_alias)[3] + child_name[len(parent_name):]
                    inherited = child_urn(parent_alias, child_type, child_name, stack, project)
                    if inherited not in found:
                        found.append(inherited)
        return found

    def _unknowns(self, request, inputs: dict) -> list[str]:
        paths = []
        for key, value in inputs.items():
            deps = request.propertyDependencies.get(key)
            if deps is None:
                continue
            made_up = set().union(*(self.made_up.get(urn, set()) for urn in deps.urns))
            if made_up:
                paths += [path for path, leaf in _string_leaves(value, key) if leaf in made_up]
        return sorted(paths)

    def _register(self, request) -> tuple[resource_pb2.RegisterResourceResponse, dict | None]:
        """`MockMonitor.RegisterResource` for a resource, and the state it answered with when that is plain data.

        As the SDK's: the inputs deserialized, the mocks asked, the registration kept; the state
        is serialized by `plain_struct` where it can be (most of a registration's time in this
        thread went to the SDK's coroutine-per-value serializer), else by the SDK.
        """
        urn = self.make_urn(request.parent, request.type, request.name)
        _ensure_event_loop()  # the SDK's deserializer needs one in this worker thread
        args = pulumi.runtime.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=rpc.deserialize_properties(request.object),
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
            transforms=pulumi_mocks._resolve_callbacks(request.transforms),
        )
        resource_id, state = self.mocks.new_resource(args)
        struct = plain = plain_struct(state)
        if struct is None:
            struct = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=struct), state if plain is not None else None

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        response, state = self._register(request)
        secrets: dict[str, str] = {}
        inputs = _wire(request.object, secrets)
        aliases = self._resolve_aliases(request)
        self._aliases[response.urn] = aliases
        # Plain state is what the response carries (the same strings, which is all `made_up` reads).
        outputs = state if state is not None else json_format.MessageToDict(response.object)
        # What the provider made up: outputs that are not inputs, and the id, unless one of
        # them is also an input value or the resource's name (then it is known already).
        made_up = {leaf for key, value in outputs.items() if key not in inputs and key != "name"
                   for _, leaf in _string_leaves(value, key)}
        if request.custom and response.id:
            made_up.add(response.id)
        self.made_up[response.urn] = made_up - {leaf for _, leaf in _string_leaves(inputs, "")} - {request.name}
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                inputs=inputs,
                protect=request.protect,
                retain_on_delete=request.retainOnDelete,
                ignore_changes=list(request.ignoreChanges),
                dependencies=sorted(request.dependencies),
                replace_with=list(request.replace_with),
                aliases=aliases,
                secrets=secrets,
                unknowns=self._unknowns(request, inputs),
            )
        )
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_secrets = {}
            self.stack_outputs = _wire(request.outputs, self.stack_secrets)
        return super().RegisterResourceOutputs(request)


class ShowrunnerMocks(pulumi.runtime.Mocks):
    """Deterministic answers for every resource and for the functions the program calls."""

    def __init__(self, stack: str, region: str = REGION):
        self.stack = stack
        self.region = region
        self.unmocked_calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id, computed = _resource_outputs(args.typ, args.name, args.inputs, self.stack, self.region)
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
