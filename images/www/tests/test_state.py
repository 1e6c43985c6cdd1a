"""www.state: the environment a host renders from a service's `uses:` list, as Django and Celery see it."""

import json
import ssl
from types import SimpleNamespace

import boto3
import pytest
from celery import Celery
from django.core.exceptions import ImproperlyConfigured

from www import state

MYSQL = {
    "DATABASE_HOST": "db.abc.eu-west-1.rds.amazonaws.com",
    "DATABASE_PORT": "3306",
    "DATABASE_NAME": "showrunner",
    "DATABASE_USER": "showrunner",
    "DATABASE_PASSWORD": "from-the-secrets-env-file",
    "DATABASE_TLS": "required",
}
QUEUES = {
    "celery": {"url": "https://sqs.eu-west-1.amazonaws.com/123456789012/prod-celery"},
    "reports": {"url": "https://sqs.eu-west-1.amazonaws.com/123456789012/prod-reports"},
}


def test_mysql_over_tls_from_the_host_variables():
    settings = state.database(MYSQL, testing=False)
    context = settings["OPTIONS"].pop("ssl")
    assert settings == {
        "ENGINE": "www.mysql",
        "HOST": "db.abc.eu-west-1.rds.amazonaws.com",
        "PORT": 3306,
        "NAME": "showrunner",
        "USER": "showrunner",
        "PASSWORD": "from-the-secrets-env-file",
        "OPTIONS": {"charset": "utf8mb4", "connect_timeout": 3},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
    # Encrypted, as MySQL's --ssl-mode=REQUIRED: the RDS CA is not in Debian's store.
    assert isinstance(context, ssl.SSLContext)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_NONE, False)


def test_tls_is_the_default_and_a_ca_bundle_turns_on_verification():
    environ = {key: value for key, value in MYSQL.items() if key != "DATABASE_TLS"}
    assert isinstance(state.database(environ, testing=False)["OPTIONS"]["ssl"], ssl.SSLContext)
    # Debian's bundle stands in for RDS's global bundle, which a stack mounts and names here.
    verified = state.database({**MYSQL, "DATABASE_TLS_CA": "/etc/ssl/certs/ca-certificates.crt"}, testing=False)
    context = verified["OPTIONS"]["ssl"]
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert context.get_ca_certs()


def test_tls_disabled_only_when_asked_for_locally():
    settings = state.database({**MYSQL, "DATABASE_TLS": "disabled", "DATABASE_HOST": "127.0.0.1"}, testing=False)
    assert settings["OPTIONS"] == {"charset": "utf8mb4", "connect_timeout": 3, "ssl_disabled": True}


def test_a_host_gives_the_password_as_a_file_read_at_each_connection():
    environ = {**MYSQL, "DATABASE_USER": "showrunner_app", "DATABASE_PASSWORD_FILE": "/run/secrets/showrunner/DATABASE_PASSWORD"}
    del environ["DATABASE_PASSWORD"]
    settings = state.database(environ, testing=False)
    assert (settings["USER"], settings["PASSWORD"], settings["PASSWORD_FILE"]) == ("showrunner_app", "", "/run/secrets/showrunner/DATABASE_PASSWORD")
    assert state.database({**MYSQL, "DATABASE_CONN_MAX_AGE": "0"}, testing=False)["CONN_MAX_AGE"] == 0


def test_the_mysql_settings_load_djangos_mysql_backend_on_pymysql_without_connecting():
    from django.db.utils import ConnectionHandler

    connection = ConnectionHandler({"default": state.database(MYSQL, testing=False)})["default"]
    assert (connection.vendor, connection.Database.__name__, connection.connection) == ("mysql", "pymysql", None)


def test_tests_and_a_hostless_environment_use_sqlite():
    assert state.database(MYSQL, testing=True) == {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    assert state.database({}, testing=False) == {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/www.sqlite3"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DATABASE_PORT": "33o6"}, "DATABASE_PORT: '33o6' is not a TCP port"),
        ({"DATABASE_TLS": "preferred"}, "DATABASE_TLS: 'preferred' is not one of required, disabled"),
        ({"DATABASE_NAME": ""}, "DATABASE_NAME must be set with DATABASE_HOST"),
        ({"DATABASE_USER": ""}, "DATABASE_USER must be set with DATABASE_HOST"),
        ({"DATABASE_CONN_MAX_AGE": "1m"}, "DATABASE_CONN_MAX_AGE: '1m' is not a number of seconds"),
    ],
)
def test_bad_database_variables_are_one_line(change, message):
    with pytest.raises(ImproperlyConfigured) as raised:
        state.database({**MYSQL, **change}, testing=False)
    assert str(raised.value) == message


def test_cache_is_redis_from_its_url():
    assert state.cache({"CACHE_URL": "rediss://master.prod-cache.abc.euw1.cache.amazonaws.com:6379/0"}, testing=False) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "rediss://master.prod-cache.abc.euw1.cache.amazonaws.com:6379/0",
        "KEY_PREFIX": "www",
    }
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": "www"}
    assert state.cache({}, testing=False) == local
    assert state.cache({"CACHE_URL": "redis://127.0.0.1:6379/0"}, testing=True) == local


def test_the_cache_settings_load_a_redis_client_that_speaks_tls_for_rediss():
    from django.core.cache.backends.redis import RedisCache

    settings = state.cache({"CACHE_URL": "rediss://master.prod-cache.abc.euw1.cache.amazonaws.com:6379/0"}, testing=False)
    pool = RedisCache(settings["LOCATION"], {"KEY_PREFIX": settings["KEY_PREFIX"]})._cache.get_client(write=True).connection_pool
    assert pool.connection_class.__name__ == "SSLConnection"
    assert (pool.connection_kwargs["host"], pool.connection_kwargs["port"], pool.connection_kwargs["db"]) == (
        "master.prod-cache.abc.euw1.cache.amazonaws.com", 6379, 0,
    )


def test_a_cache_url_that_is_not_redis_is_refused_without_its_credentials():
    with pytest.raises(ImproperlyConfigured) as raised:
        state.cache({"CACHE_URL": "memcached://user:pw@cache:11211"}, testing=False)
    assert str(raised.value) == "CACHE_URL: 'cache:11211' is not a redis:// or rediss:// URL"


def test_celery_on_sqs_uses_the_predefined_queues_only():
    environ = {
        "CELERY_BROKER_URL": "sqs://",
        "CELERY_PREDEFINED_QUEUES": json.dumps(QUEUES),
        "CELERY_DEFAULT_QUEUE": "celery",
    }
    assert state.celery(environ) == {
        "CELERY_BROKER_URL": "sqs://",
        "CELERY_TASK_DEFAULT_QUEUE": "celery",
        "CELERY_BROKER_TRANSPORT_OPTIONS": {"predefined_queues": QUEUES, "region": "eu-west-1", "wait_time_seconds": 20},
        "CELERY_WORKER_ENABLE_REMOTE_CONTROL": False,
        "CELERY_WORKER_SEND_TASK_EVENTS": False,
    }
    assert state.celery({**environ, "AWS_REGION": "us-east-2"})["CELERY_BROKER_TRANSPORT_OPTIONS"]["region"] == "us-east-2"


def test_celery_locally_on_redis_and_with_nothing_in_memory():
    assert state.celery({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/1"}) == {
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
        "CELERY_TASK_DEFAULT_QUEUE": "celery",
    }
    assert state.celery({}) == {"CELERY_BROKER_URL": "memory://", "CELERY_TASK_DEFAULT_QUEUE": "celery"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CELERY_BROKER_URL": "sqs://"}, "CELERY_PREDEFINED_QUEUES must be set when CELERY_BROKER_URL is sqs://"),
        ({"CELERY_PREDEFINED_QUEUES": "{not json"}, 'CELERY_PREDEFINED_QUEUES must be a JSON object {"<queue>": {"url": "<queue url>"}}'),
        ({"CELERY_PREDEFINED_QUEUES": '{"celery": "https://sqs"}'}, 'CELERY_PREDEFINED_QUEUES must be a JSON object {"<queue>": {"url": "<queue url>"}}'),
        (
            {"CELERY_PREDEFINED_QUEUES": json.dumps(QUEUES), "CELERY_DEFAULT_QUEUE": "default"},
            "CELERY_DEFAULT_QUEUE: 'default' is not in CELERY_PREDEFINED_QUEUES (celery, reports)",
        ),
        (
            {"CELERY_BROKER_URL": "sqs://", "CELERY_PREDEFINED_QUEUES": '{"celery": {"url": "http://localhost:9324/q"}}'},
            "AWS_REGION must be set: the queue URL host 'localhost:9324' does not name a region",
        ),
    ],
)
def test_bad_celery_variables_are_one_line(environ, message):
    with pytest.raises(ImproperlyConfigured) as raised:
        state.celery(environ)
    assert str(raised.value) == message


def test_celery_on_sqs_loads_the_sqs_transport_and_its_kept_botocore_model():
    """kombu[sqs] is installed (pycurl for the worker's polling), and pruning botocore kept SQS's model."""
    import pycurl  # noqa: F401  kombu's asynchronous SQS client needs it in the worker

    app = Celery("www", set_as_current=False)
    # As www.celery reads them: CELERY_-prefixed settings.
    app.config_from_object(SimpleNamespace(**state.celery({"CELERY_BROKER_URL": "sqs://", "CELERY_PREDEFINED_QUEUES": json.dumps(QUEUES)})), namespace="CELERY")
    connection = app.connection_for_write()
    assert type(connection.transport).__module__ == "kombu.transport.SQS"
    assert connection.transport_options["predefined_queues"] == QUEUES
    assert app.conf.worker_enable_remote_control is False
    client = boto3.session.Session().client("sqs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    assert client.meta.service_model.service_name == "sqs"
