"""The value types of the configuration (`Port`, `CronSchedule`, `VpcId`…), each a pure check used as a pydantic `AfterValidator`.

A check raises with a message that quotes what it received and says what would be right; the
loader puts the path in front of it. The first line of a check's docstring says what it accepts:
the configuration reference prints it as the value's type.
"""

from __future__ import annotations

import importlib.resources
import ipaddress
import re
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from showrunner_components.fleet import cron
from showrunner_components.image_pipeline.builds import ecr_registry_of


def _fail(kind: str, message: str, **context: Any):
    raise PydanticCustomError(kind, message, context)


def _matching(kind: str, pattern: str, what: str, example: str = ""):
    """The check that a text matches `pattern`; `what` (with its article) and `example` say what that is."""
    compiled = re.compile(pattern)
    like = f' like "{example}"' if example else ""

    def check(value: str) -> str:
        if not compiled.match(value):
            _fail(kind, '"{value}" is not ' + what + like, value=value)
        return value

    shape = what.split(" ", 1)[1] if what.startswith(("a ", "an ", "the ")) else what
    check.__doc__ = shape[0].upper() + shape[1:] + (f" (`{example}`)." if example else ".")
    check.__name__ = check.__qualname__ = kind
    return check


# --- value checks, each a pure function used as a pydantic AfterValidator -------------------

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INSTANCE_TYPE = re.compile(r"^(?P<family>[a-z]+)(?P<gen>\d+)(?P<attrs>[a-z-]*)\.(?P<size>nano|micro|small|medium|large|metal|\d*xlarge|metal-\d+xl)$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._/-][a-z0-9]+)*)+$")
_ECR_DIGEST_REF = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9]+([._/-][a-z0-9]+)*@sha256:[0-9a-f]{64}$")
_ISO_WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
_PATH_PATTERN = re.compile(r"^/[A-Za-z0-9._~/*?-]*$")
_HOST_PATTERN = re.compile(r"^[A-Za-z0-9*?.-]+$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
_SSM_NAME = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")


def name(value: str) -> str:
    """Name (lower-case letters, digits and dashes; 2-32)."""
    if not _NAME.match(value):
        _fail("name", '"{value}" is not a name (lower-case letters, digits and dashes, 2-32 long)', value=value)
    return value


def _is_port(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 2 and all(p.isdigit() and 1 <= int(p) <= 65535 for p in parts)


def host_port(value: str) -> int:
    """The host side of a well-formed `HOST:CONTAINER` port."""
    return int(value.split(":")[0])


def port(value: str) -> str:
    """`HOST:CONTAINER`, two port numbers 1-65535."""
    if not _is_port(value):
        _fail("port", '"{value}" is not HOST:CONTAINER (two port numbers 1-65535)', value=value)
    return value


def volume(value: str) -> str:
    """`HOST:CONTAINER[:ro]`, absolute paths."""
    parts = value.split(":")
    ok = len(parts) in (2, 3) and all(p.startswith("/") and ".." not in p.split("/") for p in parts[:2])
    if not ok or (len(parts) == 3 and parts[2] != "ro"):
        _fail("volume", '"{value}" is not HOST:CONTAINER[:ro] with absolute paths', value=value)
    return value


def env_name(value: str) -> str:
    """Environment variable name."""
    if not _ENV_NAME.match(value):
        _fail("env_name", '"{value}" is not an environment variable name', value=value)
    return value


def env_value(value: str) -> str:
    """Non-empty string."""
    if value == "":
        _fail(
            "empty_env",
            "is empty; an empty value starts the container broken (2015: an empty SECRET_KEY). "
            "Give a value, or move it to `secrets`",
        )
    return value


def cron_schedule(value: str) -> str:
    """5-field cron (`m h dom mon dow`) or `@hourly`/`@daily`/`@weekly`/`@monthly`, as 2015's crontab."""
    try:
        cron.parse(value)
    except cron.CronError as error:
        _fail(
            "schedule",
            '"{value}" is not a cron schedule: {why}',
            value=value,
            why=str(error),
        )
    return value


def recurrence(value: str) -> str:
    """5-field cron (`m h dom mon dow`), as Auto Scaling reads it (no `@daily` aliases)."""
    if value.strip() in cron.ALIASES:
        _fail(
            "recurrence_alias",
            '"{value}" is a crontab alias, which Auto Scaling does not read; write its five fields ("{fields}")',
            value=value,
            fields=cron.ALIASES[value.strip()],
        )
    return cron_schedule(value)


# EventBridge's (and Image Builder's) cron: six fields, `?` in one of the two day fields, names for
# months and weekdays, L/W/# in the day fields. Source: Amazon EventBridge User Guide, "Cron expressions
# reference" (the grammar Image Builder's `scheduleExpression` points to).
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_AWS_FIELDS = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _WEEKDAYS),
    ("year", 1970, 2199, ()),
)


def _aws_value(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if text.upper() in names:
        return True
    return text.isdigit() and low <= int(text) <= high


def _aws_item(item: str, label: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    """One comma-separated item of an EventBridge cron field."""
    if label == "day-of-month" and (item in ("L", "LW") or re.fullmatch(r"\d{1,2}W", item) and _aws_value(item[:-1], low, high, ())):
        return True
    if label == "day-of-week":
        if item == "L" or (item.endswith("L") and _aws_value(item[:-1], low, high, names)):
            return True
        weekday, hash_, nth = item.partition("#")
        if hash_:
            return _aws_value(weekday, low, high, names) and nth in ("1", "2", "3", "4", "5")
    base, slash, step = item.partition("/")
    if slash and not (step.isdigit() and 0 < int(step) <= high):
        return False
    if base == "*":
        return True
    start, dash, end = base.partition("-")
    if dash:
        return _aws_value(start, low, high, names) and _aws_value(end, low, high, names)
    return _aws_value(base, low, high, names)


def aws_cron_problem(value: str) -> str | None:
    """Why `value` is not an EventBridge `cron(...)` expression, or None when it is one."""
    match = re.fullmatch(r"cron\((.*)\)", value.strip())
    if match is None:
        return 'it is not written cron(...), like "cron(0 4 ? * sun *)"'
    fields = match.group(1).split()
    if len(fields) != 6:
        return f"it has {len(fields)} field{'s' if len(fields) != 1 else ''} inside cron(...), not six (minutes hours day-of-month month day-of-week year)"
    for text, (label, low, high, names) in zip(fields, _AWS_FIELDS):
        if text == "?" and label in ("day-of-month", "day-of-week"):
            continue
        if not all(_aws_item(item, label, low, high, names) for item in text.split(",")):
            named = f" or {names[0]}-{names[-1]}" if names else ""
            return f'its {label} field "{text}" is not a value, range or step within {low}-{high}{named}'
    if (fields[2] == "?") == (fields[4] == "?"):
        return "exactly one of day-of-month and day-of-week must be ?, as EventBridge requires"
    return None


def aws_cron(value: str) -> str:
    """AWS cron expression (`cron(m h dom mon dow year)`, `?` in one day field), as EventBridge and Image Builder read it."""
    why = aws_cron_problem(value)
    if why is not None:
        _fail("aws_cron", '"{value}" is not an AWS cron expression: {why}', value=value, why=why)
    return value


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names, from the pinned `tzdata` package (never the host's /usr/share/zoneinfo,
    whose `localtime` or `posixrules` are files of this host, not zones)."""
    names = importlib.resources.files("tzdata").joinpath("zones").read_text().split()
    return frozenset(names) - {"Factory"}


def time_zone(value: str) -> str:
    """IANA time zone (`America/New_York`, `UTC`), as the tz database names it."""
    if value not in time_zones():
        close = [zone for zone in time_zones() if zone.lower() == value.lower()]
        hint = f'; did you mean "{close[0]}"?' if close else ' like "America/New_York" or "UTC"'
        _fail("time_zone", '"{value}" is not an IANA time zone' + hint, value=value)
    return value


def slow_start(value: int) -> int:
    """0 (off), or 30-900 seconds, as ALB target groups allow."""
    if value != 0 and not 30 <= value <= 900:
        _fail("slow_start", "{value} is not 0 (off) or 30-900 seconds, what ALB allows for slow start", value=value)
    return value


def instance_type(value: str) -> str:
    """x86_64 EC2 instance type (`c7i.large`)."""
    match = _INSTANCE_TYPE.match(value)
    if not match:
        _fail("instance_type", '"{value}" is not an EC2 instance type like "c7i.large"', value=value)
    if "g" in match.group("attrs") or match.group("family") == "a":
        _fail(
            "instance_arch",
            '"{value}" is an arm64 (Graviton) type, but the golden AMI is built for x86_64',
            value=value,
        )
    return value


def cidr(value: str) -> str:
    """IPv4 CIDR block, /16 to /24."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        _fail("cidr", '"{value}" is not an IPv4 CIDR block like "10.20.0.0/16"', value=value)
    if not 16 <= network.prefixlen <= 24:
        _fail("cidr_size", '"{value}" must be between /16 and /24 to hold the subnets', value=value)
    return value


def http_path(value: str) -> str:
    """Absolute URL path."""
    if not value.startswith("/") or " " in value:
        _fail("http_path", '"{value}" is not an absolute URL path', value=value)
    return value


# Elastic Load Balancing User Guide for ALBs, "Listener rules": each path or host condition value
# is at most 128 characters.
RULE_VALUE_MAX = 128


def path_pattern(value: str) -> str:
    """Path pattern (`/api/*`), at most 128 characters."""
    if not _PATH_PATTERN.match(value):
        _fail("path_pattern", '"{value}" is not a path pattern like "/api/*"', value=value)
    if len(value) > RULE_VALUE_MAX:
        _fail("path_pattern_long", "is {length} characters; an ALB path pattern is at most {max}", length=len(value), max=RULE_VALUE_MAX)
    return value


def host_pattern(value: str) -> str:
    """Host header pattern (`www.example.com`), at most 128 characters."""
    if not _HOST_PATTERN.match(value):
        _fail("host_pattern", '"{value}" is not a host header pattern like "www.example.com"', value=value)
    if len(value) > RULE_VALUE_MAX:
        _fail("host_pattern_long", "is {length} characters; an ALB host condition is at most {max}", length=len(value), max=RULE_VALUE_MAX)
    return value


def is_external_image(value: str) -> bool:
    """A repository (it has a `/`), not the name of an entry of `showrunner:images` (names have none)."""
    return "/" in value


ECR_PUBLIC = "public.ecr.aws"
"""ECR Public's registry: anonymous pulls, so hosts need no credential for it."""


def is_private_ecr(reference: str) -> bool:
    """The reference's registry is a private ECR registry (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`)."""
    return ecr_registry_of(reference) is not None


def image_ref(value: str) -> str:
    """An entry of `showrunner:images`, or an ECR image pinned by digest (`REGISTRY/REPOSITORY@sha256:…`)."""
    if not is_external_image(value):
        if not _NAME.match(value):
            _fail("image", '"{value}" is neither an image name (an entry of showrunner:images) nor a repository pinned by digest '
                  'like "public.ecr.aws/org/name@sha256:…"', value=value)
        return value
    repository, at, digest = value.partition("@")
    if not at:
        path, _, tag = repository.rpartition(":")
        if tag and "/" not in tag:
            _fail("image_tagged", '"{value}" names a tag; hosts run digests only: write the repository and its digest, '
                  '"{repository}@sha256:…"', value=value, repository=path)
        _fail("image_unpinned", '"{value}" is not pinned; hosts run digests only: write "{value}@sha256:…"', value=value)
    if not _REPOSITORY.match(repository) or not _DIGEST.match(digest):
        _fail("image", '"{value}" is not REPOSITORY@sha256:<64 hex digits>', value=value)
    if repository.split("/", 1)[0] != ECR_PUBLIC and not is_private_ecr(value):
        _fail(
            "image_outside_ecr",
            '"{value}" is outside ECR: hosts pull with their instance role\'s ECR credentials only, and no registry password '
            "reaches them; copy the image into an ECR repository (or an ECR pull-through cache) and name that, "
            "or use an ECR Public image (public.ecr.aws/…)",
            value=value,
        )
    return value


def ecr_digest_ref(value: str) -> str:
    """ECR image pinned by digest (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:…`)."""
    if not _ECR_DIGEST_REF.match(value):
        _fail(
            "ecr_digest_ref",
            '"{value}" is not an ECR image pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:…)',
            value=value,
        )
    return value


def iso_week(value: str) -> str:
    """ISO week (`2026-W48`)."""
    if not _ISO_WEEK.match(value):
        _fail("iso_week", '"{value}" is not an ISO week like "2026-W48"', value=value)
    return value


def acm_arn(value: str) -> str:
    """ACM certificate ARN."""
    if not _ACM_ARN.match(value):
        _fail("acm_arn", '"{value}" is not an ACM certificate ARN', value=value)
    return value


LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
"""The retention periods CloudWatch Logs accepts (PutRetentionPolicy's `retentionInDays`)."""


def log_retention(value: int) -> int:
    """Days CloudWatch Logs keeps an event: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."""
    if value not in LOG_RETENTION_DAYS:
        _fail(
            "log_retention",
            "{value} is not a retention CloudWatch Logs accepts; pick one of {allowed}",
            value=value,
            allowed=", ".join(map(str, LOG_RETENTION_DAYS)),
        )
    return value


def ssm_name(value: str) -> str:
    """SSM parameter path (`/aws/service/…`)."""
    if not _SSM_NAME.match(value):
        _fail("ssm_name", '"{value}" is not an SSM parameter path like "/aws/service/..."', value=value)
    return value


Name = Annotated[str, AfterValidator(name)]
Port = Annotated[str, AfterValidator(port)]
Volume = Annotated[str, AfterValidator(volume)]
EnvName = Annotated[str, AfterValidator(env_name)]
EnvValue = Annotated[str, AfterValidator(env_value)]
CronSchedule = Annotated[str, AfterValidator(cron_schedule)]
Recurrence = Annotated[str, AfterValidator(recurrence)]
SlowStart = Annotated[int, AfterValidator(slow_start)]
AwsCron = Annotated[str, AfterValidator(aws_cron)]
InstanceType = Annotated[str, AfterValidator(instance_type)]
TimeZone = Annotated[str, AfterValidator(time_zone)]
Cidr = Annotated[str, AfterValidator(cidr)]
HttpPath = Annotated[str, AfterValidator(http_path)]
PathPattern = Annotated[str, AfterValidator(path_pattern)]
HostPattern = Annotated[str, AfterValidator(host_pattern)]
ImageRef = Annotated[str, AfterValidator(image_ref)]
IsoWeek = Annotated[str, AfterValidator(iso_week)]
EcrDigestRef = Annotated[str, AfterValidator(ecr_digest_ref)]
AcmArn = Annotated[str, AfterValidator(acm_arn)]
SsmName = Annotated[str, AfterValidator(ssm_name)]
LogRetentionDays = Annotated[int, AfterValidator(log_retention)]


vpc_id = _matching("vpc_id", r"^vpc-[0-9a-f]{8,17}$", "a VPC id", "vpc-0123456789abcdef0")
subnet_id = _matching("subnet_id", r"^subnet-[0-9a-f]{8,17}$", "a subnet id", "subnet-0123456789abcdef0")
github_repository = _matching("github_repository", r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", "a GitHub repository", "owner/name")
s3_bucket = _matching("s3_bucket", r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name (3-63 lower-case letters, digits, dots and dashes)")
kms_key_arn = _matching("kms_key_arn", r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$", "a KMS key ARN", "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID")
github_oidc_provider_arn = _matching(
    "github_oidc_provider_arn",
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$",
    "the ARN of an account's GitHub OIDC provider",
    "arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com",
)
github_environment = _matching(
    "github_environment", r"^[A-Za-z0-9_.-]{1,255}$", "a GitHub environment name (letters, digits, dots, dashes and underscores, at most 255)"
)
mysql_version = _matching("mysql_version", r"^8\.[0-9]+(\.[0-9]+)?$", "a MySQL 8 engine version", "8.0")
cache_version = _matching("cache_version", r"^[6-9]\.[0-9]+$", "an engine version, 6.x to 9.x (Valkey or Redis)", "7.2")
db_instance_class = _matching("db_instance_class", r"^db\.[a-z0-9]+\.[a-z0-9]+$", "an RDS instance class", "db.t3.medium")
cache_node_type = _matching("cache_node_type", r"^cache\.[a-z0-9]+\.[a-z0-9]+$", "an ElastiCache node type", "cache.t3.small")
daily_window = _matching("daily_window", r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$", "a daily window `hh:mm-hh:mm`, UTC")
weekly_window = _matching(
    "weekly_window",
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$",
    "a weekly window `ddd:hh:mm-ddd:hh:mm`, UTC",
)
sql_name = _matching("sql_name", r"^[A-Za-z][A-Za-z0-9_]{0,15}$", "a MySQL name (a letter, then letters, digits and underscores; at most 16)")
attribute_name = _matching(
    "attribute_name", r"^[A-Za-z0-9_.-]{1,255}$", "a DynamoDB attribute name (letters, digits, dots, dashes and underscores; at most 255)"
)

email = _matching("email", r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", "an e-mail address", "ops@example.com")
https_url = _matching("https_url", r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s]*)?$", "an https:// URL", "https://events.example.com/hook")

stack_name = _matching("stack_name", r"^[a-z][a-z0-9-]{0,15}$", "a stack name (lower-case letters, digits and dashes, at most 16)", "staging")
image_context = _matching(
    "image_context", r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$", "a folder under images/ (lower-case letters, digits, - _ . and /)", "go/search"
)
stage_name = _matching("stage_name", r"^[a-z][a-z0-9_.-]*$", "a stage name of the Dockerfile (lower-case letters, digits, - _ .)", "test")

VpcId = Annotated[str, AfterValidator(vpc_id)]
StackName = Annotated[str, AfterValidator(stack_name)]
SubnetId = Annotated[str, AfterValidator(subnet_id)]
GithubRepository = Annotated[str, AfterValidator(github_repository)]
S3Bucket = Annotated[str, AfterValidator(s3_bucket)]
KmsKeyArn = Annotated[str, AfterValidator(kms_key_arn)]
GithubOidcProviderArn = Annotated[str, AfterValidator(github_oidc_provider_arn)]
GithubEnvironment = Annotated[str, AfterValidator(github_environment)]
MysqlVersion = Annotated[str, AfterValidator(mysql_version)]
CacheVersion = Annotated[str, AfterValidator(cache_version)]
DbInstanceClass = Annotated[str, AfterValidator(db_instance_class)]
CacheNodeType = Annotated[str, AfterValidator(cache_node_type)]
DailyWindow = Annotated[str, AfterValidator(daily_window)]
WeeklyWindow = Annotated[str, AfterValidator(weekly_window)]
SqlName = Annotated[str, AfterValidator(sql_name)]
AttributeName = Annotated[str, AfterValidator(attribute_name)]
ImageContext = Annotated[str, AfterValidator(image_context)]
StageName = Annotated[str, AfterValidator(stage_name)]
