"""Every validation rule, each with the exact line a user sees."""

from __future__ import annotations

import copy

import pytest

from showrunner.config import ConfigError, load_settings


def valid() -> dict:
    return {
        "services": {
            "django": {
                "type": "web",
                "image": "www",
                "command": "/var/www/bin/start-django",
                "fleet": "www",
                "ports": ["8000:8000"],
                "route": {"paths": ["/*"], "priority": 100},
                "secrets": ["SECRET_KEY"],
            },
            "catalog": {
                "type": "web",
                "image": "micro",
                "command": "/micro",
                "fleet": "micro",
                "ports": ["8080:8080"],
                "route": {"paths": ["/api/*"], "priority": 10},
            },
            "celery": {"type": "worker", "image": "www", "command": "celery -A www worker", "fleet": "www"},
            "nightly": {"type": "cron", "image": "www", "command": "true", "fleet": "ops", "schedule": "@daily"},
        },
        "fleets": {
            "www": {"instance_types": ["c7i.large"], "min_size": 1, "max_size": 4},
            "micro": {"instance_types": ["c7i.large"], "min_size": 1, "max_size": 4},
            "ops": {"instance_types": ["t3.small"], "min_size": 1, "max_size": 1},
        },
        "images": {
            "base": {"weekly": True},
            "www": {"parent": "base", "test_target": "test", "target": "release"},
            "micro": {},
        },
        "image_pipeline": {"refresh_key": "2026-W48"},
        "load_balancer": {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"},
        "secrets": {"django": {"SECRET_KEY": "[secret]"}},
        "alerts": {"subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}]},
    }


def problems_of(values: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(values, project="showrunner", stack="qa")
    return caught.value.problems


def mutate(path: str, value):
    """A config with the value at dotted `path` replaced (or deleted when value is DELETE)."""

    def apply(config: dict) -> dict:
        config = copy.deepcopy(config)
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
        return config

    return apply


DELETE = object()

CASES = [
    ("unknown top-level key", mutate("servics", {}),
     'showrunner:servics: is not a known key; did you mean "services"?'),
    ("unknown top-level key, nothing close", mutate("zzz", {}),
     "showrunner:zzz: is not a known key; expected one of: alerts, delivery, fleets, golden_ami, image_pipeline, images, load_balancer, logs, network, production, secrets, services, state, tags"),
    ("unknown service key", mutate("services.django.cron", True),
     "showrunner:services.django.cron: is not a known key; expected one of: command, env, fleet, health, image, memory_mb, ports, rm, route, schedule, secrets, type, uses, volumes"),
    ("memory limit below Docker's minimum", mutate("services.django.memory_mb", 4),
     "showrunner:services.django.memory_mb: 4 must be greater than or equal to 6"),
    ("memory limit not a number", mutate("services.django.memory_mb", "lots"),
     'showrunner:services.django.memory_mb: expected an integer, got "lots"'),
    ("start deadline beyond the unit's start timeout", mutate("fleets.www.start_deadline_s", 900),
     "showrunner:fleets.www.start_deadline_s: 900 must be less than or equal to 400"),
    ("misspelt nested key", mutate("services.django.route", {"paths": ["/*"], "priorty": 100}),
     'showrunner:services.django.route.priorty: is not a known key; did you mean "priority"?'),
    ("wrong type for ports", mutate("services.django.ports", "8000:8000"),
     'showrunner:services.django.ports: expected a list, got "8000:8000"'),
    ("wrong type for rm", mutate("services.celery.rm", "yes"),
     'showrunner:services.celery.rm: expected true or false, got "yes"'),
    ("missing command", mutate("services.celery.command", DELETE),
     "showrunner:services.celery.command: is required"),
    ("malformed port", mutate("services.django.ports", ["8000:8000", "80:abc"]),
     'showrunner:services.django.ports[1]: "80:abc" is not HOST:CONTAINER (two port numbers 1-65535)'),
    ("malformed volume", mutate("services.celery.volumes", ["logs:/var/log"]),
     'showrunner:services.celery.volumes[0]: "logs:/var/log" is not HOST:CONTAINER[:ro] with absolute paths'),
    ("volume mode other than ro", mutate("services.celery.volumes", ["/a:/b:rw"]),
     'showrunner:services.celery.volumes[0]: "/a:/b:rw" is not HOST:CONTAINER[:ro] with absolute paths'),
    ("malformed schedule", mutate("services.nightly.schedule", "every day"),
     'showrunner:services.nightly.schedule: "every day" is not a cron schedule: it has 2 fields, not five ("m h dom mon dow", or @hourly/@daily/@weekly/@monthly)'),
    ("schedule out of range", mutate("services.nightly.schedule", "0 24 * * *"),
     'showrunner:services.nightly.schedule: "0 24 * * *" is not a cron schedule: its hour field "24" is not a value, range or step within 0-23'),
    ("cron without schedule", mutate("services.nightly.schedule", DELETE),
     "showrunner:services.nightly: a cron service needs `schedule`"),
    ("schedule on a web service", mutate("services.catalog.schedule", "@daily"),
     "showrunner:services.catalog: `schedule` is only for type cron, not web"),
    ("route on a worker", mutate("services.celery.route", {"paths": ["/x"], "priority": 5}),
     "showrunner:services.celery: `route` is only for type web, not worker"),
    ("route without conditions", mutate("services.catalog.route", {"priority": 5}),
     "showrunner:services.catalog.route: needs `paths` or `hosts` (or both)"),
    ("more than 5 rule condition values", mutate("services.catalog.route", {"paths": ["/a", "/b", "/c"], "hosts": ["x.example", "y.example", "z.example"], "priority": 10}),
     "showrunner:services.catalog.route: has 6 paths and hosts; an ALB listener rule takes at most 5 condition values"),
    ("more than 5 rule wildcards", mutate("services.catalog.route", {"paths": ["/a/*/*/*", "/b/*/*"], "hosts": ["*.example"], "priority": 10}),
     "showrunner:services.catalog.route: has 6 wildcards (* and ?); an ALB listener rule takes at most 5"),
    ("unknown service type", mutate("services.celery.type", "daemon"),
     "showrunner:services.celery.type: \"daemon\" is not one of 'web', 'worker' or 'cron'"),
    ("external image without digest", mutate("services.catalog.image", "public.ecr.aws/acme/catalog"),
     'showrunner:services.catalog.image: "public.ecr.aws/acme/catalog" is not pinned; hosts run digests only: write "public.ecr.aws/acme/catalog@sha256:…"'),
    ("external image by tag", mutate("services.catalog.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/search:1.4"),
     'showrunner:services.catalog.image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/search:1.4" names a tag; hosts run digests only: '
     'write the repository and its digest, "123456789012.dkr.ecr.us-east-1.amazonaws.com/search@sha256:…"'),
    ("malformed digest", mutate("services.catalog.image", "public.ecr.aws/acme/catalog@sha256:1234"),
     'showrunner:services.catalog.image: "public.ecr.aws/acme/catalog@sha256:1234" is not REPOSITORY@sha256:<64 hex digits>'),
    ("image outside ECR", mutate("services.catalog.image", "ghcr.io/acme/catalog@sha256:" + "e" * 64),
     f'showrunner:services.catalog.image: "ghcr.io/acme/catalog@sha256:{"e" * 64}" is outside ECR: hosts pull with their instance '
     "role's ECR credentials only, and no registry password reaches them; copy the image into an ECR repository (or an ECR "
     "pull-through cache) and name that, or use an ECR Public image (public.ecr.aws/…)"),
    ("the removed tag", mutate("services.catalog.tag", "1.4"),
     "showrunner:services.catalog: `tag` is gone: hosts run digests only, so an external image carries its digest in `image` "
     "(`repository@sha256:…`), and a pipeline image is pinned with showrunner:images.<image>.release"),
    ("empty env value", mutate("services.django.env", {"SECRET_KEY": ""}),
     "showrunner:services.django.env.SECRET_KEY: is empty; an empty value starts the container broken (2015: an empty SECRET_KEY). Give a value, or move it to `secrets`"),
    ("bad env name", mutate("services.django.env", {"1BAD": "x"}),
     'showrunner:services.django.env.1BAD: "1BAD" is not an environment variable name'),
    ("secret also in env", mutate("services.django.env", {"SECRET_KEY": "plain"}),
     "showrunner:services.django: SECRET_KEY is both in `env` and `secrets`; keep it in `secrets` only"),
    ("secret named but not set", mutate("secrets", {}),
     "showrunner:services.django.secrets[0]: secret SECRET_KEY is not set in stack \"qa\"; run: pulumi config set --secret --path 'showrunner:secrets.django.SECRET_KEY' <value>"),
    ("secret set but unused", mutate("secrets.catalog", {"TOKEN": "[secret]"}),
     "showrunner:secrets.catalog.TOKEN: is set but no service lists it in `secrets`; remove it (showrunner:secrets: {catalog: null} drops them all) or add it to showrunner:services.catalog.secrets"),
    ("malformed instance type", mutate("fleets.www.instance_types", ["c7i-large"]),
     'showrunner:fleets.www.instance_types[0]: "c7i-large" is not an EC2 instance type like "c7i.large"'),
    ("arm64 instance type", mutate("fleets.www.instance_types", ["c7g.large"]),
     'showrunner:fleets.www.instance_types[0]: "c7g.large" is an arm64 (Graviton) type, but the golden AMI is built for x86_64'),
    ("min greater than max", mutate("fleets.micro.min_size", 5),
     "showrunner:fleets.micro: min_size (5) must be <= max_size (4)"),
    ("desired outside min..max", mutate("fleets.micro.desired_capacity", 9),
     "showrunner:fleets.micro: desired_capacity (9) must be between min_size (1) and max_size (4)"),
    ("negative size", mutate("fleets.micro.min_size", -1),
     "showrunner:fleets.micro.min_size: -1 must be greater than or equal to 0"),
    ("unknown time zone", mutate("fleets.www.scheduled", {"peak": {"recurrence": "0 17 * * 5", "min_size": 2, "max_size": 4, "time_zone": "America/NewYork"}}),
     'showrunner:fleets.www.scheduled.peak.time_zone: "America/NewYork" is not an IANA time zone like "America/New_York" or "UTC"'),
    ("service on undefined fleet", mutate("services.celery.fleet", "workers"),
     'showrunner:services.celery.fleet: fleet "workers" is not defined in showrunner:fleets (defined: micro, ops, www)'),
    ("same host port on one fleet", mutate("services.celery.ports", ["8000:9000"]),
     'showrunner:services.celery.ports[0]: host port 8000 on fleet "www" is already bound by service "django"'),
    ("two routes with one priority", mutate("services.catalog.route", {"paths": ["/api/*"], "priority": 100}),
     'showrunner:services.catalog.route.priority: priority 100 is already used by service "django"; listener rule priorities must be unique'),
    ("cron on a scaling fleet", mutate("services.nightly.fleet", "www"),
     'showrunner:services.nightly.fleet: cron service runs on every host of fleet "www" (max_size 4); run it on a fleet with max_size 1'),
    ("malformed CIDR", mutate("network", {"cidr": "10.20.0.0/33"}),
     'showrunner:network.cidr: "10.20.0.0/33" is not an IPv4 CIDR block like "10.20.0.0/16"'),
    ("CIDR with host bits", mutate("network", {"cidr": "10.20.1.0/16"}),
     'showrunner:network.cidr: "10.20.1.0/16" is not an IPv4 CIDR block like "10.20.0.0/16"'),
    ("half an existing VPC", mutate("network", {"vpc_id": "vpc-0123456789abcdef0"}),
     "showrunner:network: an existing VPC needs `vpc_id`, `public_subnet_ids` and `private_subnet_ids` together"),
    ("bad ISO week", mutate("image_pipeline.refresh_key", "2026-48"),
     'showrunner:image_pipeline.refresh_key: "2026-48" is not an ISO week like "2026-W48"'),
    ("bad Image Builder schedule", mutate("golden_ami", {"schedule": "weekly"}),
     'showrunner:golden_ami.schedule: "weekly" is not an AWS cron expression: it is not written cron(...), like "cron(0 4 ? * sun *)"'),
    ("bad certificate ARN", mutate("load_balancer.certificate_arn", "arn:aws:iam::123:server-certificate/x"),
     'showrunner:load_balancer.certificate_arn: "arn:aws:iam::123:server-certificate/x" is not an ACM certificate ARN'),
    ("missing load balancer", mutate("load_balancer", DELETE),
     "showrunner:load_balancer: is required"),
    ("fleets not a map", mutate("fleets", ["www"]),
     "showrunner:fleets: expected a map of name → fleet, got a list"),
    ("bad service name", mutate("services.Django", {}),
     'showrunner:services.Django: "Django" is not a name (lower-case letters, digits and dashes, 2-32 long)'),
    ("fleet without services", mutate("fleets.spare", {"instance_types": ["t3.small"], "min_size": 0, "max_size": 1}),
     'showrunner:fleets.spare: no service runs on this fleet; remove it (showrunner:fleets: {spare: null}) or assign a service'),
]


@pytest.mark.parametrize("change,expected", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_each_bad_value_is_reported_with_its_path(change, expected):
    assert expected in problems_of(change(valid()))


def test_a_warm_pool_with_several_instance_types_is_refused():
    config = valid()
    config["fleets"]["www"]["instance_types"] = ["c7i.large", "c6i.large"]
    config["fleets"]["www"]["warm_pool"] = {}
    assert problems_of(config) == [
        "showrunner:fleets.www: `warm_pool` needs exactly one instance type (2 given): several types make a mixed-instance group, which AWS refuses a warm pool"
    ]


def test_spot_and_warm_pool_are_refused_together():
    config = valid()
    config["fleets"]["www"]["spot"] = {}
    config["fleets"]["www"]["warm_pool"] = {}
    assert problems_of(config) == [
        "showrunner:fleets.www: `spot` and `warm_pool` cannot be combined (AWS refuses warm pools on mixed-instance groups); pick one"
    ]


def test_the_valid_config_loads_with_lwrp_defaults():
    settings = load_settings(valid(), project="showrunner", stack="qa")
    celery = settings.services["celery"]
    # The 2015 LWRP defaults: env {}, port [], volume ['/var/log/containers:/var/log'], rm false.
    assert (celery.env, celery.ports, celery.volumes, celery.rm) == ({}, [], ["/var/log/containers:/var/log"], False)
    assert celery.health == "/healthz" and celery.image == "www"
    assert settings.network.cidr == "10.20.0.0/16" and settings.golden_ami.parent_image_parameter.endswith("debian/release/12/latest/amd64")


def test_every_problem_is_reported_at_once_one_line_each():
    config = valid()
    config["services"]["django"]["ports"] = ["80:abc"]
    config["services"]["django"]["fleet"] = "nowhere"
    config["fleets"]["micro"]["min_size"] = 9
    config["image_pipeline"]["refresh_key"] = "soon"
    problems = problems_of(config)
    assert problems == [
        'showrunner:services.django.ports[0]: "80:abc" is not HOST:CONTAINER (two port numbers 1-65535)',
        'showrunner:fleets.micro: min_size (9) must be <= max_size (4)',
        'showrunner:image_pipeline.refresh_key: "soon" is not an ISO week like "2026-W48"',
        'showrunner:services.django.fleet: fleet "nowhere" is not defined in showrunner:fleets (defined: micro, ops, www)',
    ]


def test_a_secret_value_of_the_wrong_type_is_not_echoed():
    config = valid()
    config["secrets"]["django"]["SECRET_KEY"] = 123456
    assert problems_of(config) == ["showrunner:secrets.django.SECRET_KEY: expected a string"]


def test_secrets_are_redacted_wherever_settings_are_printed():
    config = valid()
    config["secrets"]["django"]["SECRET_KEY"] = "hunter2-very-secret"
    settings = load_settings(config, project="showrunner", stack="qa")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.secrets)
    assert settings.secrets["django"]["SECRET_KEY"].get_secret_value() == "hunter2-very-secret"


@pytest.mark.parametrize("stack", ["Prod", "prod_eu", "eu.prod", "a-stack-name-too-long", "9prod"])
def test_a_stack_name_that_cannot_be_part_of_aws_names_is_refused(stack):
    with pytest.raises(ConfigError) as caught:
        load_settings(valid(), project="showrunner", stack=stack)
    assert caught.value.problems == [
        f'stack "{stack}": stack names become part of AWS resource names (S3 bucket, RDS, ElastiCache, SQS); '
        "use lower-case letters, digits and dashes, at most 16 characters"
    ]


def test_the_longest_aws_name_fits_for_the_longest_stack_name():
    from showrunner_components.golden_ami.builders import log_bucket_name

    assert len(log_bucket_name("p" * 16, "123456789012")) <= 63


# Images are data: a half-configured image is exactly one problem, with its path.
IMAGE_CASES = [
    ("weekly image without a refresh key", mutate("image_pipeline", DELETE),
     "showrunner:image_pipeline.refresh_key: is required: image base is rebuilt weekly (weekly: true)"),
    ("service image without an entry", mutate("services.catalog.image", "search"),
     'showrunner:services.catalog.image: image "search" is not defined in showrunner:images (defined: base, micro, www); '
     'add an entry and its folder images/search/, or name an ECR image pinned by digest like "public.ecr.aws/org/name@sha256:…"'),
    ("service image neither a name nor a repository", mutate("services.catalog.image", "Micro"),
     'showrunner:services.catalog.image: "Micro" is neither an image name (an entry of showrunner:images) nor a repository pinned by digest like "public.ecr.aws/org/name@sha256:…"'),
    ("parent typo", mutate("images.www.parent", "bsae"),
     'showrunner:images.www.parent: image "bsae" is not defined in showrunner:images (defined: base, micro, www)'),
    ("parents in a cycle", mutate("images.base", {"parent": "www"}),
     "showrunner:images.base.parent: the parents form a cycle: base → www → base; an image cannot be built on itself"),
    ("image built on itself", mutate("images.micro", {"parent": "micro"}),
     "showrunner:images.micro.parent: the parents form a cycle: micro → micro; an image cannot be built on itself"),
    ("bad image name", mutate("images.Search", {}),
     'showrunner:images.Search: "Search" is not a name (lower-case letters, digits and dashes, 2-32 long)'),
    ("unknown image key", mutate("images.micro.dockerfile", "Dockerfile.go"),
     "showrunner:images.micro.dockerfile: is not a known key; expected one of: context, parent, parent_build_arg, release, target, test_target, weekly"),
    ("parent build argument without a parent", mutate("images.micro.parent_build_arg", "GO_IMAGE"),
     "showrunner:images.micro: `parent_build_arg` is only for an image with a `parent`"),
    ("context outside images/", mutate("images.micro.context", "../tools"),
     'showrunner:images.micro.context: "../tools" is not a folder under images/ (lower-case letters, digits, - _ . and /) like "go/search"'),
    ("malformed stage name", mutate("images.www.test_target", "unit tests"),
     'showrunner:images.www.test_target: "unit tests" is not a stage name of the Dockerfile (lower-case letters, digits, - _ .) like "test"'),
    ("a pipeline-wide key left under images", mutate("images.refresh_key", "2026-W48"),
     "showrunner:images.refresh_key: moved to showrunner:image_pipeline.refresh_key; showrunner:images holds one entry per image, keyed by its name"),
    ("images not a map", mutate("images", ["www"]),
     "showrunner:images: expected a map of name → image, got a list"),
]


@pytest.mark.parametrize("change,expected", [(c[1], c[2]) for c in IMAGE_CASES], ids=[c[0] for c in IMAGE_CASES])
def test_a_half_configured_image_is_one_problem_with_its_path(change, expected):
    assert problems_of(change(valid())) == [expected]


def test_a_broken_service_still_gets_its_cross_entry_problems():
    config = valid()
    # catalog is broken twice over (a bad port, a route without conditions) and still claims priority 100.
    config["services"]["catalog"]["ports"] = ["80:abc"]
    config["services"]["catalog"]["route"] = {"priority": 100}
    assert problems_of(config) == [
        'showrunner:services.catalog.ports[0]: "80:abc" is not HOST:CONTAINER (two port numbers 1-65535)',
        "showrunner:services.catalog.route: needs `paths` or `hosts` (or both)",
        'showrunner:services.catalog.route.priority: priority 100 is already used by service "django"; listener rule priorities must be unique',
    ]


def test_every_section_is_parsed_checked_and_kept():
    import dataclasses

    from showrunner.config.checks import Parsed
    from showrunner.config.models import SECTIONS, Settings

    keys = {section.key for section in SECTIONS}
    assert keys == set(Settings.model_fields) - {"project", "stack"}
    assert keys == {field.name for field in dataclasses.fields(Parsed)} - {
        "stack", "claims", "fleet_names", "protect", "region", "provider_tags", "secret_sections", "image_names", "project_dir"
    }
