"""The requests each role makes, and must not be able to make, built from the rendered stack and
AWS's data: the ARN of every resource in AWS's format, the condition keys AWS supplies for that
action on that resource type (`aws:RequestTag` on creates, `aws:ResourceTag` on existing
resources, `ec2:CreateAction` for tag-on-create, `iam:PassedToService`, `kms:ViaService`…).

Which calls: CloudFormation's handler permissions for the resource's type (create, read, update,
delete and its tagging permissions), the reference's dependent actions, the provider functions the
program called, and for fleet hosts the calls their rendered user data makes.
"""

from __future__ import annotations

import base64
import fnmatch
import gzip
import json
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.aws import exceptions, reference
from tests.aws.stacks import Resource, Stack

GITHUB = "token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Request:
    principal: str
    """The role's name in the stack (its pulumi resource name)."""
    action: str
    resource: str
    context: tuple[tuple[str, Any], ...]
    why: str

    def __post_init__(self):
        object.__setattr__(self, "context", tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in self.context)))

    def to_json(self, account: str) -> dict:
        out = {"principal": self.principal, "action": self.action, "resource": self.resource, "account": account,
               "context": {k: list(v) if isinstance(v, tuple) else v for k, v in self.context}}
        if re.match(r"^arn:aws:kms:[a-z0-9-]+:\d{12}:key/", self.resource):
            out["resourcePolicy"] = default_key_policy(self.resource.split(":")[4])
        return out

    def describe(self) -> str:
        keys = ", ".join(f"{k}={v}" if not isinstance(v, tuple) else f"{k}=[{','.join(v)}]" for k, v in self.context)
        return f"{self.action} on {self.resource}" + (f" ({keys})" if keys else "")


def default_key_policy(account: str) -> dict:
    """The key policy KMS gives a key created without one: the account's IAM policies decide
    (source: AWS KMS Developer Guide, "Default key policy"). A KMS request is allowed only when the
    key policy and the identity policy both allow it."""
    return {"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]}


def _ctx(**pairs) -> tuple:
    return tuple(sorted(pairs.items()))


# --- the roles of a stack --------------------------------------------------------------------------


@dataclass
class Role:
    resource: Resource
    arn: str
    trust: list[dict]
    policies: list[tuple[str, dict]] = field(default_factory=list)
    """(name, document) of every inline policy (managed policies: `managed`)."""
    managed: list[str] = field(default_factory=list)
    boundary: dict | None = None
    boundary_arn: str | None = None

    @property
    def name(self) -> str:
        return self.resource.name

    def github_subjects(self) -> list[str]:
        subjects = []
        for statement in self.trust:
            # Recognised by GitHub's condition key: the provider's ARN is whatever the account named it.
            for operator, pairs in (statement.get("Condition") or {}).items():
                for key, values in pairs.items():
                    if key.lower() == f"{GITHUB}:sub":
                        subjects += values if isinstance(values, list) else [values]
        return subjects

    def trusted_services(self) -> set[str]:
        out = set()
        for statement in self.trust:
            principal = statement.get("Principal", {})
            if isinstance(principal, dict):
                services = principal.get("Service", [])
                out |= set(services if isinstance(services, list) else [services])
        return out

    def assumable_by(self, subject: str) -> bool:
        """Whether a GitHub token with this `sub` may assume the role (StringLike matching)."""
        return any(fnmatch.fnmatchcase(subject, pattern) for pattern in self.github_subjects())

    @property
    def kind(self) -> str:
        subjects = self.github_subjects()
        if any(":environment:" in s for s in subjects):
            return "deploy"
        if subjects:
            return "preview"
        return "service"


def _document(value: Any) -> dict:
    if isinstance(value, str):
        return json.loads(value)
    return value if isinstance(value, dict) else {}


def roles(stack: Stack) -> dict[str, Role]:
    out = {}
    for resource in stack.of_type("aws:iam/role:Role"):
        role = Role(resource, stack.arn(resource), _statements(_document(resource.inputs.get("assumeRolePolicy"))))
        for inline in resource.inputs.get("inlinePolicies") or []:
            role.policies.append((inline.get("name", "inline"), _document(inline.get("policy"))))
        role.managed += list(resource.inputs.get("managedPolicyArns") or [])
        boundary = resource.inputs.get("permissionsBoundary")
        if isinstance(boundary, str):
            role.boundary_arn = boundary
            for policy in stack.of_type("aws:iam/policy:Policy"):
                if stack.arn(policy) == boundary or policy.outputs.get("arn") == boundary:
                    role.boundary = _document(policy.inputs.get("policy"))
        out[resource.urn] = role
    # A policy names its role by the role's id or name (what `role=` was given).
    by_reference = {key: role for role in out.values() for key in (role.resource.id, role.resource.outputs.get("name"))}
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.inputs.get("role") in by_reference:
            by_reference[policy.inputs["role"]].policies.append((policy.name, _document(policy.inputs.get("policy"))))
    for attachment in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        if attachment.inputs.get("role") in by_reference:
            by_reference[attachment.inputs["role"]].managed.append(attachment.inputs.get("policyArn"))
    return {role.name: role for role in out.values()}


def _statements(document: dict) -> list[dict]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def principals_json(stack: Stack, extra: dict[str, Role] | None = None) -> dict:
    out = {}
    for name, role in {**roles(stack), **(extra or {})}.items():
        role_name = role.arn.rsplit("/", 1)[-1]
        out[name] = {
            "arn": f"arn:aws:sts::{stack.account}:assumed-role/{role_name}/aws-tier",
            "identityPolicies": [{"name": n, "policy": d} for n, d in role.policies],
            "permissionBoundaryPolicies": [{"name": "boundary", "policy": role.boundary}] if role.boundary else [],
        }
    return out


def role_of_kind(stack: Stack, kind: str) -> Role | None:
    return next((r for r in roles(stack).values() if r.kind == kind), None)


# --- how one call on one resource is authorized ------------------------------------------------------

CREATE, READ, UPDATE, DELETE, TAG = "create", "read", "update", "delete", "tag"

# Who AWS says the role is passed to, per pulumi type (source: the iam:PassedToService values in
# AWS's managed policies for the service: AutoScalingFullAccess and AWSImageBuilderFullAccess pass
# instance-profile roles to ec2.amazonaws.com).
PASSED_TO = {
    "aws:autoscaling/group:Group": "ec2.amazonaws.com",
    "aws:ec2/launchTemplate:LaunchTemplate": "ec2.amazonaws.com",
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": "ec2.amazonaws.com",
    "aws:imagebuilder/imagePipeline:ImagePipeline": "imagebuilder.amazonaws.com",
}
# The service-linked role a CloudFormation type's handler may create (source: IAM User Guide,
# "AWS services that work with IAM", the service-linked role column and each service's role name).
_IMAGE_BUILDER_SLR = ("imagebuilder.amazonaws.com", "AWSServiceRoleForImageBuilder")
_RDS_SLR = ("rds.amazonaws.com", "AWSServiceRoleForRDS")
_ELASTICACHE_SLR = ("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache")
SERVICE_LINKED = {
    "AWS::AutoScaling::AutoScalingGroup": ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),
    "AWS::ImageBuilder::Component": _IMAGE_BUILDER_SLR,
    "AWS::ImageBuilder::ImageRecipe": _IMAGE_BUILDER_SLR,
    "AWS::ImageBuilder::InfrastructureConfiguration": _IMAGE_BUILDER_SLR,
    "AWS::ImageBuilder::ImagePipeline": _IMAGE_BUILDER_SLR,
    "AWS::ImageBuilder::DistributionConfiguration": _IMAGE_BUILDER_SLR,
    "AWS::RDS::DBInstance": _RDS_SLR,
    "AWS::RDS::DBParameterGroup": _RDS_SLR,
    "AWS::RDS::DBSubnetGroup": _RDS_SLR,
    "AWS::ElastiCache::ReplicationGroup": _ELASTICACHE_SLR,
    "AWS::ElastiCache::SubnetGroup": _ELASTICACHE_SLR,
}
# Resource types an action creates besides the resource itself, whose ids AWS assigns
# (source: the reference's RunInstances entry: instance, volume and network-interface are new).
CREATED_BY_CALL = {"ec2:runinstances": {"instance", "volume", "network-interface"}}
_TAGGING = re.compile(r"^(ec2:CreateTags|elasticloadbalancing:AddTags|[a-z0-9-]+:TagResource|[a-z0-9-]+:Tag[A-Z][A-Za-z]*|rds:AddTagsToResource|ssm:AddTagsToResource|elasticache:AddTagsToResource|autoscaling:CreateOrUpdateTags|s3:PutBucketTagging|sqs:TagQueue)$")


_ANY_TYPE_ACTION = re.compile(r"(Tag|Untag|ListTags|ResourcePolic|TagsOf)", re.IGNORECASE)


def _alternative(act: reference.Action, type_key: str, resolved: list[str]) -> bool:
    """Whether a required resource type of the reference is an alternative to one the request has.

    The reference marks every ARN form an action accepts as required: `listener/app`, `listener/net`
    and `listener/gwy` for DeleteListener, every taggable type for TagResource, a table or its stream
    for GetResourcePolicy. A request names one of them."""
    if _ANY_TYPE_ACTION.search(act.name):
        return True
    head = re.split(r"[/:]", type_key)[0]
    return any(re.split(r"[/:]", r)[0] == head for r in resolved) or {type_key, *resolved} >= {"table", "stream"}


def is_tagging(action: str) -> bool:
    return bool(_TAGGING.match(action))


def cloudformation_type(resource: Resource) -> str | None:
    spec = resource.spec
    return spec.get("cloudformation") or spec.get("part_of")


def handler(resource: Resource, phase: str) -> list[str]:
    """The permissions the resource's handler needs in that phase, less the unused features'."""
    spec = resource.spec
    if "permissions" in spec:
        permissions = list(spec["permissions"].get(phase, []))
    elif phase == TAG:
        permissions = list(reference.tagging(spec["cloudformation"]).get("permissions", []))
    else:
        permissions = reference.handler_permissions(spec["cloudformation"], phase)
    dropped = set()
    for patterns, needing_input, _ in exceptions.UNUSED_FEATURES.get(cloudformation_type(resource) or "", []):
        if needing_input is not None and _has_input(resource, needing_input):
            continue
        dropped |= {p for p in permissions if any(fnmatch.fnmatchcase(p.lower(), q.lower()) for q in patterns)}
    return [p for p in permissions if p not in dropped]


def _has_input(resource: Resource, path: str) -> bool:
    head, _, rest = path.partition("[].")
    value = resource.inputs.get(head)
    if rest:
        return any(isinstance(v, dict) and v.get(rest) for v in value or [])
    return bool(value)


def concrete_actions(pattern: str) -> list[reference.Action]:
    """A handler permission as the calls it stands for: itself, or for a wildcard every matching
    List or Read action that takes no resource (what a handler's `Describe*` is for)."""
    if "*" not in pattern:
        found = reference.action(pattern)
        return [found] if found else []
    return [a for a in reference.actions_matching(pattern)
            if a.access_level in ("List", "Read") and not any(r.required for r in a.resource_types)]


def _tag_context(keys: set[str], tags: dict[str, str], kind: str) -> dict:
    context = {}
    prefix = f"aws:{kind.lower()}/"
    if f"aws:{kind.lower()}/${{tagkey}}" in keys:
        context.update({f"aws:{kind}/{k}": v for k, v in tags.items()})
    if kind == "RequestTag" and "aws:tagkeys" in keys and tags:
        context["aws:TagKeys"] = sorted(tags)
    return context if prefix else {}


@dataclass
class Unresolved:
    resource: Resource
    action: str
    resource_type: str


class Builder:
    """Builds the requests of one stack."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.unknown_actions: set[tuple[str, str]] = set()

    # Which ARNs an action on `resource` authorizes against, with the context AWS supplies for each.
    def targets(self, resource: Resource, act: reference.Action, phase: str, create_action: str | None) -> Iterator[tuple[str, dict]]:
        own_service, _, own = (resource.spec.get("iam") or "").partition(":")
        own = own if own_service == act.service else ""
        listed = [r.name for r in act.resource_types]
        required = [r.name for r in act.resource_types if r.required]
        if own and listed and _ANY_TYPE_ACTION.search(act.name):
            # Tagging and resource-policy calls act on the resource they are called for.
            if own.lower() not in {t.lower() for t in listed}:
                # The reference as iam-data ships it lists only the Classic Load Balancer for ELB's
                # AddTags and RemoveTags, though ELBv2 authorizes them on the target group, listener
                # or rule: simulated on * with that resource's context, since no ARN of it validates.
                yield "*", self._context(resource, act, own, phase, create_action, new=phase == CREATE, tags=resource.tags)
                return
            required = [own]
        elif not required:
            if phase == READ:
                required = []
            elif own and own.lower() in {t.lower() for t in listed}:
                required = [own]
            else:
                required = [t for t in listed if self._resolvable(resource, act, t, phase)]
        if not required:
            # No resource-level permissions: the call's own keys (a new key's aws:RequestTag).
            new = phase == CREATE and (act.name == create_action or is_tagging(act.full))
            yield "*", self._context(resource, act, None, phase, create_action, new=new, tags=resource.tags if new else {})
            return
        resolved = [t for t in required if self._resolvable(resource, act, t, phase)]
        if own and not resolved and own.lower() not in {t.lower() for t in listed} and phase != READ:
            # iam-data merges Elastic Load Balancing's two services: for CreateLoadBalancer,
            # DeleteLoadBalancer and ModifyLoadBalancerAttributes it lists only the Classic Load
            # Balancer. The call acts on this resource: simulated on * with its context.
            new = phase == CREATE and (act.name == create_action or is_tagging(act.full))
            yield "*", self._context(resource, act, own, phase, create_action, new=new, tags=resource.tags)
            return
        for type_key in required:
            if type_key not in resolved and resolved and _alternative(act, type_key, resolved):
                continue
            yield from self._resolve(resource, act, type_key, phase, create_action)

    def _resolvable(self, resource: Resource, act: reference.Action, type_key: str, phase: str) -> bool:
        qualified = f"{act.service}:{type_key}".lower()
        if (resource.spec.get("iam") or "").lower() == qualified or type_key in CREATED_BY_CALL.get(act.full.lower(), set()):
            return True
        return any((d.spec.get("iam") or "").lower() == qualified for _, d in self.stack.dependencies(resource))

    def _resolve(self, resource: Resource, act: reference.Action, type_key: str, phase: str, create_action):
        stack = self.stack
        type_key = next((k for k in reference.resource_types(act.service) if k.lower() == type_key.lower()), type_key)
        own = (resource.spec.get("iam") or "").partition(":")[2]
        qualified = f"{act.service}:{type_key}"
        if own == type_key and resource.spec["iam"] == qualified:
            # In a create, the call that creates it and the calls that tag it see a new resource (its
            # tags as aws:RequestTag); the handler's later calls see it created, and tagged.
            new = phase == CREATE and (act.name == create_action or is_tagging(act.full)
                                       or "aws:requesttag/${tagkey}" in {k.lower() for r in act.resource_types if r.name == type_key for k in r.condition_keys})
            yield stack.arn(resource), self._context(resource, act, type_key, phase, create_action, new=new, tags=resource.tags)
            return
        created = CREATED_BY_CALL.get(act.full.lower(), set())
        if type_key in created and phase in (CREATE, UPDATE):
            fmt = reference.resource_type(qualified)["arn"]
            arn = reference.fill_arn(fmt, {}, "aws", stack.region, stack.account)
            yield arn, self._context(resource, act, type_key, CREATE, create_action, new=True, tags=self._launch_tags(resource, type_key))
            return
        special = self._special(resource, act, type_key, phase)
        if special is not None and act.full == "iam:CreateServiceLinkedRole":
            yield special
            return
        levels: dict[int, list[Resource]] = {}
        for level, dependency in stack.dependencies(resource):
            if (dependency.spec.get("iam") or "").lower() == qualified.lower():
                levels.setdefault(level, []).append(dependency)
        if levels:
            for dependency in levels[min(levels)]:
                yield stack.arn(dependency), self._context(dependency, act, type_key, phase, create_action, new=False, tags=dependency.tags, on_behalf_of=resource)
            return
        if special is not None:
            yield special
            return
        # Not in the stack: AWS's own or another owner's (a parent AMI, an AWS-managed policy). Its id
        # is not ours to know, so every id matches.
        fmt = (reference.resource_type(qualified) or {}).get("arn")
        if fmt is None:
            self.unknown_actions.add((act.full, type_key))
            return
        yield reference.fill_arn(fmt, {}, "aws", stack.region, stack.account), self._context(resource, act, type_key, phase, create_action, new=False, tags={})

    def _special(self, resource: Resource, act: reference.Action, type_key: str, phase: str):
        stack = self.stack
        cfn = cloudformation_type(resource)
        if act.full == "iam:CreateServiceLinkedRole" and cfn in SERVICE_LINKED:
            service, role_name = SERVICE_LINKED[cfn]
            arn = f"arn:aws:iam::{stack.account}:role/aws-service-role/{service}/{role_name}"
            return arn, {"iam:AWSServiceName": service}
        if type_key in ("snapshot", "cluster") and act.service in ("rds", "elasticache"):
            # The final snapshot a delete takes, named by the resource; a replication group's member
            # clusters, named after it (<group id>-001 …).
            name = resource.inputs.get("finalSnapshotIdentifier") if type_key == "snapshot" else f"{resource.inputs.get('replicationGroupId')}-001"
            if isinstance(name, str):
                fmt = reference.resource_type(f"{act.service}:{type_key}")["arn"]
                variable = reference._VARIABLE.findall(fmt)[-1]
                tags = {} if type_key == "snapshot" else resource.tags
                return (reference.fill_arn(fmt, {variable: name}, "aws", stack.region, stack.account),
                        self._context(resource, act, type_key, phase, None, new=type_key == "snapshot", tags=tags))
        if act.full == "ec2:RunInstances" and type_key == "image":
            template = self._template(resource)
            image = (template.inputs.get("imageId") if template else None) or "ami-00000000000000000"
            return f"arn:aws:ec2:{stack.region}::image/{image}", {}
        return None

    def _template(self, resource: Resource) -> Resource | None:
        if resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
            return resource
        return next((d for _, d in self.stack.dependencies(resource) if d.type == "aws:ec2/launchTemplate:LaunchTemplate"), None)

    def _launch_tags(self, resource: Resource, type_key: str) -> dict:
        """Tags a launch template's tag specifications put on what RunInstances creates."""
        template = self._template(resource)
        if template is None:
            return {}
        for spec in template.inputs.get("tagSpecifications") or []:
            if spec.get("resourceType") == type_key:
                return dict(spec.get("tags") or {})
        return {}

    def _context(self, resource: Resource, act: reference.Action, type_key: str | None, phase: str, create_action, *, new: bool, tags: dict, on_behalf_of: Resource | None = None) -> dict:
        keys = act.keys_for(type_key)
        if not new and type_key:
            # An existing resource's tags reach every action on it whose resource type supports
            # aws:ResourceTag, even where the action's own column leaves it out (IAM, KMS).
            defined = (reference.resource_type(f"{act.service}:{type_key}") or {}).get("conditionKeys", [])
            keys |= {k.lower() for k in defined if k.lower() == "aws:resourcetag/${tagkey}"}
        if act.service == "s3":
            # S3 shows a bucket's tags to IAM only when ABAC is enabled on the bucket (S3 User Guide,
            # "Using tags for attribute-based access control"); these buckets are named, not tagged, into scope.
            keys = {k for k in keys if not k.startswith("aws:resourcetag/")}
        context: dict[str, Any] = {}
        if new:
            context.update(_tag_context(keys, tags, "RequestTag"))
        else:
            context.update(_tag_context(keys, tags, "ResourceTag"))
            if phase in (TAG, UPDATE) and is_tagging(act.full):
                context.update(_tag_context(keys, tags, "RequestTag"))
        # Tag-on-create: EC2 and Elastic Load Balancing name the call that creates the resource.
        create_key = f"{act.service}:createaction"
        if is_tagging(act.full) and new and create_action and create_key in keys:
            context[f"{act.service}:CreateAction"] = create_action
        subject = on_behalf_of or resource
        if act.full == "iam:PassRole" and subject.type in PASSED_TO and "iam:passedtoservice" in keys:
            context["iam:PassedToService"] = PASSED_TO[subject.type]
        if act.full in ("iam:AttachRolePolicy", "iam:DetachRolePolicy") and "iam:policyarn" in keys:
            arn = (on_behalf_of or resource).inputs.get("policyArn")
            if isinstance(arn, str):
                context["iam:PolicyARN"] = arn
        if resource.type == "aws:iam/role:Role" and "iam:permissionsboundary" in keys:
            boundary = resource.inputs.get("permissionsBoundary")
            if isinstance(boundary, str):
                context["iam:PermissionsBoundary"] = boundary
        return context

    # --- the requests of one phase of one resource --------------------------------------------------

    def phase(self, principal: str, resource: Resource, phase: str) -> list[Request]:
        if not resource.spec:
            return []
        if resource.type == "docker:index/image:Image":
            # A build pulls its parent and its registry cache; a preview builds too (buildOnPreview).
            if phase == CREATE:
                return ([] if resource.inputs.get("skipPush") else self._push(principal, resource)) + self._pulls(principal, resource)
            return self._pulls(principal, resource) if phase == READ and resource.inputs.get("buildOnPreview") else []
        permissions = handler(resource, phase)
        create_action = _api_action(resource) if phase == CREATE else None
        out: list[Request] = []
        why = f"{phase} {resource.label} ({cloudformation_type(resource) or resource.type} {phase} handler)"
        for pattern in permissions:
            for act in concrete_actions(pattern):
                if act.full in exceptions.NEVER_DENIED:
                    continue
                if phase == CREATE and act.full == "ec2:CreateTags" and not resource.tags:
                    continue
                for arn, context in self.targets(resource, act, phase, create_action):
                    out.append(Request(principal, act.full, arn, tuple(context.items()), why))
        return out

    def _push(self, principal: str, image: Resource) -> list[Request]:
        repository = next((d for _, d in self.stack.dependencies(image) if d.type == "aws:ecr/repository:Repository"), None)
        out = []
        for name in image.spec["permissions"]["create"]:
            act = reference.action(name)
            if repository is None or not act.resource_types:
                out.append(Request(principal, name, "*", (), f"push Image {image.name} to its ECR repository (docker push)"))
                continue
            context = self._context(repository, act, "repository", UPDATE, None, new=False, tags=repository.tags)
            out.append(Request(principal, name, self.stack.arn(repository), tuple(context.items()), f"push Image {image.name} to its ECR repository (docker push)"))
        return out


    def _pulls(self, principal: str, image: Resource) -> list[Request]:
        """What the build pulls from this stack's repositories: the images its `cacheFrom` names and the
        parent digest its build arguments pass (a promoted parent is another stack's, and its own grant)."""
        build = image.inputs.get("build") or {}
        references = [*((build.get("cacheFrom") or {}).get("images") or []),
                      *(v for v in (build.get("args") or {}).values() if isinstance(v, str) and "@sha256:" in v)]
        repositories = {r.inputs.get("name"): r for r in self.stack.of_type("aws:ecr/repository:Repository")}
        out = []
        for ref in references:
            name = ref.split("/", 1)[-1].split("@", 1)[0].rsplit(":", 1)[0]
            repository = repositories.get(name)
            if repository is None:
                continue
            for action in ECR_PULL:
                context = self._context(repository, reference.action(action), "repository", UPDATE, None, new=False, tags=repository.tags)
                what = "the registry cache" if "@" not in ref else f"its parent from {name}"
                out.append(Request(principal, action, self.stack.arn(repository), tuple(context.items()), f"build Image {image.name}: pull {what}"))
        return out


def _api_action(resource: Resource) -> str | None:
    operation = (resource.spec.get("api") or {}).get("create")
    return operation.partition(":")[2] if operation else None


# --- what each role must be able to do -------------------------------------------------------------


def program_calls(stack: Stack, principal: str) -> list[Request]:
    """The provider functions `pulumi preview` and `pulumi up` run, with the caller's credentials."""
    out = []
    for token, args in stack.calls:
        why = f"the program calls {token}"
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            out.append(Request(principal, "ecr:GetAuthorizationToken", "*", (), why))
        elif token == "aws:ssm/getParameter:getParameter":
            name = args["name"].lstrip("/")
            owner = "" if name.startswith("aws/service/") else stack.account
            out.append(Request(principal, "ssm:GetParameter", f"arn:aws:ssm:{stack.region}:{owner}:parameter/{name}", (), why))
        elif token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            out.append(Request(principal, "ec2:DescribeAvailabilityZones", "*", (), why))
    return list(dict.fromkeys(out))


def _requests_of(stack: Stack, kind: str, phases: tuple[str, ...], skip: set[str] = frozenset()) -> list[Request]:
    role = role_of_kind(stack, kind)
    if role is None:
        return []
    builder = Builder(stack)
    out = program_calls(stack, role.name)
    for resource in stack.resources:
        if resource.urn not in skip:
            for phase in phases:
                out += builder.phase(role.name, resource, phase)
    return list(dict.fromkeys(out))


_DEPLOY: dict[int, list[Request]] = {}


def deploy_requests(stack: Stack) -> list[Request]:
    """The deploy role creates, reads, updates, tags and deletes all but what an administrator applies."""
    if id(stack) not in _DEPLOY:
        _DEPLOY[id(stack)] = _requests_of(stack, "deploy", (CREATE, READ, UPDATE, DELETE, TAG), administered(stack))
    return _DEPLOY[id(stack)]


def administered(stack: Stack) -> set[str]:
    """What an administrator applies, not the deploy role: the delivery roles, their policies and the
    GitHub OIDC provider they trust (the deploy role may not change its own grants)."""
    own = [r for r in roles(stack).values() if r.kind in ("deploy", "preview")]
    names = {key for r in own for key in (r.resource.id, r.resource.outputs.get("name"))}
    urns = {r.resource.urn for r in own}
    # The permissions boundary: were the deploy role to change it, it would lift its own limit.
    boundaries = {r.boundary_arn for r in roles(stack).values() if r.boundary_arn}
    urns |= {p.urn for p in stack.of_type("aws:iam/policy:Policy") if stack.arn(p) in boundaries}
    urns |= {p.urn for p in stack.resources if p.type.startswith("aws:iam/rolePolicy") and p.inputs.get("role") in names}
    for role in own:
        for statement in role.trust:
            federated = (statement.get("Principal") or {}).get("Federated") if isinstance(statement.get("Principal"), dict) else None
            urns |= {p.urn for p in stack.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") if p.outputs.get("arn") == federated}
    return urns


def preview_requests(stack: Stack) -> list[Request]:
    """The preview role refreshes every resource."""
    return _requests_of(stack, "preview", (READ,))


# --- what a fleet host calls ------------------------------------------------------------------------

# The calls each client on a fleet host makes (source in each comment).
ECR_PULL = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")  # ECR User Guide: "Pulling an image"
SESSION_MANAGER = ("ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                   "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel")  # Session Manager: "Verify or add instance permissions"
CELERY_SQS = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage")  # kombu/transport/SQS.py with predefined_queues
DYNAMODB_ITEMS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query")  # boto3 Table resource: the item calls
HOST_METRICS_NAMESPACE = "Showrunner/Host"  # images/golden/files/usr/local/sbin/showrunner-disk-usage and showrunner-clock-offset
# Docker's awslogs driver, without awslogs-create-group (Docker docs, "Amazon CloudWatch Logs logging driver", Credentials).
AWSLOGS = ("logs:CreateLogStream", "logs:PutLogEvents")
FETCH_SECRETS = ("ExecStartPre=/usr/local/sbin/showrunner-fetch-secrets", "ExecStart=/usr/local/sbin/showrunner-fetch-secrets")
RETRY = "ExecStartPre=/usr/local/sbin/showrunner-retry "
"""`showrunner-retry LABEL COMMAND…`: the command is what the host calls; the retry itself may mark the host Unhealthy."""


def user_data(template: Resource) -> str:
    raw = template.inputs.get("userData") or ""
    data = base64.b64decode(raw)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode()


@dataclass
class HostCalls:
    fleet: str
    role: str
    requests: list[Request]


def _fleet_role(stack: Stack, template: Resource, all_roles: dict[str, Role]) -> Role | None:
    for _, dependency in stack.dependencies(template, depth=2):
        if dependency.type == "aws:iam/role:Role":
            return all_roles.get(dependency.name)
    return None


def host_requests(stack: Stack) -> list[HostCalls]:
    """For each launch template: the calls its hosts make, read from its rendered user data."""
    all_roles = roles(stack)
    parameters = {p.inputs.get("name"): p for p in stack.of_type("aws:ssm/parameter:Parameter") if p.inputs.get("type") == "SecureString"}
    keys = {stack.arn(k): k for k in stack.of_type("aws:kms/key:Key")}
    queues = {q.outputs.get("url"): q for q in stack.of_type("aws:sqs/queue:Queue")}
    tables = {t.inputs.get("name"): t for t in stack.of_type("aws:dynamodb/table:Table")}
    databases = {d.outputs.get("address"): d for d in stack.of_type("aws:rds/instance:Instance")}
    out = []
    for template in stack.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        role = _fleet_role(stack, template, all_roles)
        if role is None:
            continue
        text = user_data(template)
        fleet = template.name.removesuffix("-lt")
        reqs: list[Request] = []
        host_env = dict(re.findall(r"^\s*(SHOWRUNNER_[A-Z_]+|AWS_REGION)=(\S+)$", text, re.MULTILINE))
        prefix = host_env.get("SHOWRUNNER_SSM_PREFIX", "")
        region = host_env.get("AWS_REGION", stack.region)

        def add(action, resource, why, **context):
            reqs.append(Request(role.name, action, resource, _ctx(**context), why))

        add("cloudwatch:PutMetricData", "*", "showrunner-disk-usage publishes the disk metric", **{"cloudwatch:namespace": HOST_METRICS_NAMESPACE})
        add("cloudwatch:PutMetricData", "*", "showrunner-clock-offset publishes chrony's offset", **{"cloudwatch:namespace": HOST_METRICS_NAMESPACE})
        for name in SESSION_MANAGER:
            add(name, "*", "the SSM agent answers Session Manager")
        group = next((g for g in stack.of_type("aws:autoscaling/group:Group") if g.name == f"{fleet}-asg"), None)
        if group is not None and RETRY in text:
            # Past the start deadline, showrunner-retry marks the host Unhealthy in its own group.
            arn = reference.fill_arn(reference.resource_type("autoscaling:autoscalinggroup")["arn"],
                                     {"GroupId": "0123abcd-0000-0000-0000-000000000000", "GroupFriendlyName": group.outputs.get("name") or f"{fleet}-asg-0123456"},
                                     "aws", region, stack.account)
            add("autoscaling:SetInstanceHealth", arn, "showrunner-retry reports a host that cannot start its services",
                **{f"aws:ResourceTag/{k}": v for k, v in group.tags.items()})
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(RETRY):
                # Drop `showrunner-retry LABEL`: what follows is the call itself.
                line = "ExecStartPre=" + line.removeprefix(RETRY).partition(" ")[2]
            if line.startswith(FETCH_SECRETS) and "--credentials" in line:
                # `--credentials SERVICE DIR NAME=rds-iam:HOST:PORT:USER`: an IAM auth token, signed on
                # the host; the database authorizes the connection by rds-db:connect (RDS User Guide,
                # "Creating and using an IAM policy for IAM database access").
                words = shlex.split(line.partition("=")[2])
                service, references = words[2], words[4:]
                for reference_arg in references:
                    name, _, value = reference_arg.partition("=")
                    kind, _, rest = value.partition(":")
                    host, user = rest.partition(":")[0], rest.rsplit(":", 1)[-1]
                    database = databases.get(host)
                    if kind == "rds-iam" and database is not None:
                        arn = reference.fill_arn(reference.resource_type("rds-db:db-user")["arn"],
                                                 {"DbiResourceId": database.outputs["resourceId"], "DbUserName": user}, "aws", region, stack.account)
                        add("rds-db:connect", arn, f"fetch-secrets signs {name} (an IAM auth token for {user}) for {service}")
            elif line.startswith(FETCH_SECRETS):
                words = shlex.split(line.partition("=")[2])
                service, references = words[1], [w for w in words[3:] if "=" in w]
                path = f"{prefix.rstrip('/')}/{service}"
                add("ssm:GetParametersByPath", f"arn:aws:ssm:{region}:{stack.account}:parameter{path}", f"fetch-secrets reads {path}/ for {service}")
                for name, parameter in parameters.items():
                    if name.startswith(path + "/"):
                        key = keys.get(parameter.inputs.get("keyId"))
                        if key is not None:
                            # SSM asks KMS on the host's behalf, with the parameter's ARN as encryption context
                            # (source: Systems Manager User Guide, "How Parameter Store uses AWS KMS").
                            add("kms:Decrypt", stack.arn(key), f"SSM decrypts {name} for {service}",
                                **{"kms:ViaService": f"ssm.{region}.amazonaws.com",
                                   "kms:EncryptionContext:PARAMETER_ARN": stack.arn(parameter),
                                   **{f"aws:ResourceTag/{k}": v for k, v in key.tags.items()}})
                for reference_arg in references:
                    arn = reference_arg.partition("=")[2].rsplit(":", 1)[0]
                    add("secretsmanager:GetSecretValue", arn, f"fetch-secrets reads {reference_arg.partition('=')[0]} for {service}")
            if "docker pull" in line or line.startswith("ExecStart=/usr/bin/docker run"):
                for image in re.findall(r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^@:\s\"]+)", line):
                    account, image_region, repository = image
                    add("ecr:GetAuthorizationToken", "*", "the host logs in to ECR to pull")
                    for name in ECR_PULL:
                        add(name, f"arn:aws:ecr:{image_region}:{account}:repository/{repository}", f"the host pulls {repository}")
            if line.startswith("ExecStart=/usr/bin/docker run"):
                options = _log_options(line)
                if options.get("--log-driver") == "awslogs" and "awslogs-group" in options:
                    group = options["awslogs-group"]
                    # One stream per container, named by its tag (`<host>/<container id>`).
                    stream = f"arn:aws:logs:{options.get('awslogs-region', region)}:{stack.account}:log-group:{group}:log-stream:ip-10-0-1-23/0123456789ab"
                    for name in AWSLOGS:
                        add(name, stream, f"Docker's awslogs driver ships the container's output to {group}")
                env = _env_pairs(line)
                predefined = env.get("CELERY_PREDEFINED_QUEUES")
                if predefined:
                    for queue_name, queue in json.loads(predefined).items():
                        q = queues.get(queue["url"])
                        if q is not None:
                            for name in CELERY_SQS:
                                add(name, stack.arn(q), f"Celery uses queue {queue_name}")
                for key, value in env.items():
                    if key.startswith("DYNAMODB_TABLE_") and value in tables:
                        for name in DYNAMODB_ITEMS:
                            add(name, stack.arn(tables[value]), f"the service uses table {value}")
        out.append(HostCalls(fleet, role.name, list(dict.fromkeys(reqs))))
    return out


def _log_options(line: str) -> dict[str, str]:
    """`--log-driver` and every `--log-opt KEY=VALUE` of a `docker run` line."""
    words = shlex.split(line.partition("=")[2])
    options = {}
    for index, word in enumerate(words[:-1]):
        if word == "--log-driver":
            options[word] = words[index + 1]
        elif word == "--log-opt":
            key, _, value = words[index + 1].partition("=")
            options[key] = value
    return options


def _env_pairs(line: str) -> dict[str, str]:
    words = shlex.split(line.partition("=")[2])
    env = {}
    for index, word in enumerate(words):
        if word == "--env" and index + 1 < len(words):
            key, _, value = words[index + 1].partition("=")
            env[key] = value
    return env


def all_requests(stack: Stack) -> dict[str, list[Request]]:
    """Role kind → what it must be allowed."""
    out = {"deploy": deploy_requests(stack), "preview": preview_requests(stack)}
    for calls in host_requests(stack):
        out[f"fleet {calls.fleet}"] = calls.requests
    return out


def unique(requests: Iterable[Request]) -> list[Request]:
    return list(dict.fromkeys(requests))


# --- what must be denied --------------------------------------------------------------------------

OTHER_STACK = {"staging": "prod", "prod": "staging"}
SECRET_READS_SSM = ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory")
ROLE_CHANGES = ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy", "iam:DeleteRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole",
                "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary")


@dataclass(frozen=True)
class Denial:
    request: Request
    rule: str
    """Which item of the deny list this is."""


def secret_reads(stack: Stack, principal: str, provider_key_arn: str | None) -> list[Request]:
    """Every way to read one of `stack`'s secrets: its SecureStrings, the database password's
    secret, decryption with the service-secrets key or the stack's secrets-provider key."""
    out = []
    keys = {stack.arn(k): k for k in stack.of_type("aws:kms/key:Key")}
    for parameter in stack.of_type("aws:ssm/parameter:Parameter"):
        if parameter.inputs.get("type") != "SecureString":
            continue
        name = parameter.inputs["name"]
        arn = stack.arn(parameter)
        for action in SECRET_READS_SSM:
            out.append(Request(principal, action, arn, (), f"read SecureString {name}"))
        out.append(Request(principal, "ssm:GetParametersByPath", arn.rsplit("/", 1)[0], (), f"read the path of {name}"))
    for database in stack.of_type("aws:rds/instance:Instance"):
        secrets = database.outputs.get("masterUserSecrets") or []
        for secret in secrets:
            out.append(Request(principal, "secretsmanager:GetSecretValue", secret["secretArn"], (), f"read the password of {database.label}"))
    for arn, key in keys.items():
        tags = {f"aws:ResourceTag/{k}": v for k, v in key.tags.items()}
        out.append(Request(principal, "kms:Decrypt", arn, _ctx(**tags), f"decrypt with {key.label}"))
        out.append(Request(principal, "kms:Decrypt", arn, _ctx(**tags, **{"kms:ViaService": f"ssm.{stack.region}.amazonaws.com"}), f"decrypt through SSM with {key.label}"))
    if provider_key_arn:
        out.append(Request(principal, "kms:Decrypt", provider_key_arn, (), "decrypt the stack's config secrets with its secrets-provider key"))
    return out


def _retagged(request: Request, stack: str, other: str) -> Request:
    """The same request on the other stack's twin of the resource: tagged as that stack's, and
    named as that stack's where the name carries the stack (`/showrunner/<stack>/…`, `showrunner-<stack>-…`)."""
    context = [(k, other if k.endswith("/Environment") else v) for k, v in request.context]
    resource = re.sub(rf"(?<=[/-]){re.escape(stack)}(?=[/-])", other, request.resource)
    return Request(request.principal, request.action, resource, tuple(context), f"{request.why}, on stack {other}'s")


def _untagged(request: Request) -> Request | None:
    """The same change on an untagged resource (someone else's), when IAM can tell it from a new one.

    A tagging call on a new resource and on an untagged one look alike to IAM unless the service
    names the creating call (`ec2:CreateAction`, `elasticloadbalancing:CreateAction`): for the other
    services' tag-on-create, an untagged resource cannot be told apart, so none is built."""
    context = [(k, v) for k, v in request.context if not k.startswith("aws:ResourceTag/")]
    if len(context) == len(request.context):
        return None
    if is_tagging(request.action) and not any(k.endswith(":CreateAction") for k, _ in request.context):
        return None
    return Request(request.principal, request.action, request.resource, tuple(context), f"{request.why}, on an untagged resource")


def deploy_denials(stack: Stack, other: Stack, provider_key_arns: dict[str, str | None]) -> list[Denial]:
    deploy = role_of_kind(stack, "deploy")
    if deploy is None:
        return []
    name, account = deploy.name, stack.account
    tags = {f"aws:RequestTag/{k}": v for k, v in _stack_tags(stack).items()}
    boundary = _boundary_arn(stack)
    out: list[Denial] = []

    def deny(action, resource, rule, why, **context):
        out.append(Denial(Request(name, action, resource, _ctx(**context), why), rule))

    # A role without the stack's permissions boundary: created, or given a policy.
    rogue = f"arn:aws:iam::{account}:role/showrunner-{stack.name}-rogue"
    deny("iam:CreateRole", rogue, "no role without the boundary", "create a role with no permissions boundary", **tags, **{"aws:TagKeys": sorted(_stack_tags(stack))})
    deny("iam:CreateRole", rogue, "no role without the boundary", "create a role with another permissions boundary",
         **tags, **{"aws:TagKeys": sorted(_stack_tags(stack)), "iam:PermissionsBoundary": f"arn:aws:iam::{account}:policy/other-boundary"})
    resource_tags = {f"aws:ResourceTag/{k}": v for k, v in _stack_tags(stack).items()}
    for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy"):
        deny(action, rogue, "no role without the boundary", f"{action} on a stack-tagged role with no boundary", **resource_tags,
             **({"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"} if action == "iam:AttachRolePolicy" else {}))
    # Changing or removing the boundary.
    for role in roles(stack).values():
        if role.kind != "service":
            continue
        context = {f"aws:ResourceTag/{k}": v for k, v in role.resource.tags.items()}
        if role.boundary_arn:
            context["iam:PermissionsBoundary"] = role.boundary_arn
        deny("iam:DeleteRolePermissionsBoundary", role.arn, "the boundary stays", f"remove the boundary of {role.name}", **context)
        deny("iam:PutRolePermissionsBoundary", role.arn, "the boundary stays", f"replace the boundary of {role.name}",
             **{**context, "iam:PermissionsBoundary": f"arn:aws:iam::{account}:policy/other-boundary"})
    if boundary:
        for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"):
            deny(action, boundary, "the boundary stays", f"{action} on the permissions boundary", **resource_tags)
    # Its own grants and the preview role's.
    for role in roles(stack).values():
        if role.kind not in ("deploy", "preview"):
            continue
        context = {f"aws:ResourceTag/{k}": v for k, v in role.resource.tags.items()}
        for action in ROLE_CHANGES:
            extra = {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"} if action == "iam:AttachRolePolicy" else {}
            if boundary and "Boundary" not in action:
                extra["iam:PermissionsBoundary"] = boundary
            deny(action, role.arn, "not its own grants", f"{action} on the {role.kind} role", **context, **extra)
    # Resources that are not the stack's: every change it may make, on another stack's resource.
    for request in deploy_requests(stack):
        act = reference.action(request.action)
        if act is None or act.access_level in ("List", "Read") or request.resource == "*":
            continue
        if not any(k.startswith(("aws:ResourceTag/", "aws:RequestTag/")) for k, _ in request.context):
            continue
        if request.action in ("iam:PassRole", "iam:CreateServiceLinkedRole"):
            continue  # decided by the role's name and the service it is passed to, not by tags
        out.append(Denial(_retagged(request, stack.name, OTHER_STACK[stack.name]), "only what is tagged as the stack's"))
        untagged = _untagged(request)
        if untagged is not None:
            out.append(Denial(untagged, "only what is tagged as the stack's"))
    # Another stack's secrets.
    for request in secret_reads(other, name, provider_key_arns.get(other.name)):
        out.append(Denial(request, "not another stack's secrets"))
    return list(dict.fromkeys(out))


def pull_request_denials(stack: Stack, prod: Stack, provider_key_arns: dict[str, str | None], repository: str) -> list[Denial]:
    """No role a pull request can assume may read a prod secret."""
    out = []
    for role in roles(stack).values():
        if role.assumable_by(f"repo:{repository}:pull_request"):
            for request in secret_reads(prod, role.name, provider_key_arns.get(prod.name)):
                out.append(Denial(request, "pull requests read no prod secret"))
    return out


def fleet_denials(stack: Stack) -> list[Denial]:
    """A fleet's role may not read another fleet's secrets, pull another fleet's repositories or mark
    another fleet's hosts Unhealthy."""
    calls = host_requests(stack)
    out = []
    for mine in calls:
        own = {(r.action, r.resource) for r in mine.requests}
        for theirs in calls:
            if theirs is mine:
                continue
            for request in theirs.requests:
                if request.resource == "*" or (request.action, request.resource) in own:
                    continue
                # Not kms:Decrypt: through SSM it runs only inside a GetParameter SSM authorized
                # first, so which secrets a host reads is decided by the SSM request.
                if request.action.startswith(("ssm:GetParameter", "secretsmanager:", "ecr:", "autoscaling:SetInstanceHealth")):
                    out.append(Denial(Request(mine.role, request.action, request.resource, request.context,
                                              f"fleet {mine.fleet}: {request.why} (fleet {theirs.fleet}'s)"), "not another fleet's"))
    return list(dict.fromkeys(out))


def _stack_tags(stack: Stack) -> dict[str, str]:
    """The tags every resource of the stack carries (the intersection of all tag sets)."""
    common: dict[str, str] | None = None
    for resource in stack.resources:
        if not resource.tags:
            continue
        common = dict(resource.tags) if common is None else {k: v for k, v in common.items() if resource.tags.get(k) == v}
    return common or {}


def _boundary_arn(stack: Stack) -> str | None:
    arns = {r.boundary_arn for r in roles(stack).values() if r.boundary_arn}
    return next(iter(sorted(arns)), None)
