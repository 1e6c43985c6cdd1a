"""The load balancer under mocks: HTTPS with the certificate, redirect, 404, one rule per route."""

from __future__ import annotations

import json
import re

import pytest

from showrunner_components.load_balancer.component import LoadBalancer, access_log_policy, health_check, rule_conditions
from tests.conftest import by_type, one


def test_listeners(stack_run):
    run = stack_run("prod")
    https = one(run, "aws:lb/listener:Listener", "web-https").inputs
    assert (https["port"], https["protocol"], https["sslPolicy"]) == (443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert https["certificateArn"] == "arn:aws:acm:us-east-1:123456789012:certificate/9a1d7c3e-prod-0000-0000-000000000002"
    assert https["defaultActions"] == [
        {"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "messageBody": "not found", "statusCode": "404"}}
    ]
    http = one(run, "aws:lb/listener:Listener", "web-http").inputs
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [{"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}]
    alb = one(run, "aws:lb/loadBalancer:LoadBalancer", "web-alb").inputs
    assert alb["loadBalancerType"] == "application" and alb["dropInvalidHeaderFields"] is True
    assert len(alb["subnets"]) == 3


def test_prod_logs_its_access_and_the_alb_alarms_on_its_own_5xx(stack_run):
    run = stack_run("prod")
    alb = one(run, "aws:lb/loadBalancer:LoadBalancer", "web-alb")
    # ELB checks it may write when logging is turned on: the load balancer waits for the policy.
    assert one(run, "aws:s3/bucketPolicy:BucketPolicy", "web-access-logs-policy").urn in alb.dependencies
    alarm = one(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-alarm-elb-5xx").inputs
    assert (alarm["name"], alarm["metricName"], alarm["threshold"]) == ("showrunner-prod-web-elb-5xx", "HTTPCode_ELB_5XX_Count", 10)
    assert re.fullmatch(r"app/web-alb-\w+/\w+", alarm["dimensions"]["LoadBalancer"])
    assert alarm["alarmActions"] == alarm["okActions"] == [run.outputs["alerts_topic_arn"]]
    assert run.outputs["access_log_bucket"] == "showrunner-prod-alb-logs-123456789012"


def test_one_target_group_and_rule_per_routed_service(stack_run):
    run = stack_run("prod")
    groups = {r.name: r.inputs for r in by_type(run, "aws:lb/targetGroup:TargetGroup")}
    assert sorted(groups) == ["web-catalog", "web-django"]
    assert groups["web-django"]["port"] == 8000 and groups["web-catalog"]["port"] == 8080
    # The site's target group probes its readiness (database and cache); the catalog its liveness.
    paths = {"web-django": "/readyz", "web-catalog": "/healthz"}
    for name, inputs in groups.items():
        assert inputs["deregistrationDelay"] == 60  # prod's setting
        assert inputs["slowStart"] == 30
        assert inputs["loadBalancingAlgorithmType"] == "round_robin"
        assert inputs["healthCheck"] == {
            "enabled": True,
            "path": paths[name],
            "port": "traffic-port",
            "protocol": "HTTP",
            "matcher": "200",
            "interval": 10,
            "timeout": 5,
            "healthyThreshold": 2,
            "unhealthyThreshold": 3,
        }
    rules = {r.name: r.inputs for r in by_type(run, "aws:lb/listenerRule:ListenerRule")}
    assert rules["web-catalog"]["priority"] == 10
    assert rules["web-catalog"]["conditions"] == [{"pathPattern": {"values": ["/api/catalog/*"]}}]
    assert rules["web-django"]["priority"] == 1000
    assert rules["web-django"]["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    assert rules["web-django"]["actions"][0]["type"] == "forward"


def test_hosts_take_only_their_routed_ports_from_the_load_balancer(stack_run):
    run = stack_run("prod")
    alb_sg = one(run, "aws:ec2/securityGroup:SecurityGroup", "web-sg").urn
    # `<fleet>-sg-to-<store>` rules open the stores' groups to fleets (tests/unit/components/test_state.py).
    ingress = {
        r.name: r
        for r in by_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if not r.name.startswith("web-") and "-sg-to-" not in r.name
    }
    assert sorted(ingress) == ["micro-sg-in-catalog", "www-sg-in-django"]
    assert ingress["www-sg-in-django"].inputs["fromPort"] == ingress["www-sg-in-django"].inputs["toPort"] == 8000
    assert ingress["micro-sg-in-catalog"].inputs["fromPort"] == 8080
    for rule in ingress.values():
        assert "cidrIpv4" not in rule.inputs and alb_sg in rule.dependencies


def _route(name: str, priority: int, **conditions) -> dict:
    return {"name": name, "port": 8000, "priority": priority, **conditions}


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ([_route("a", 1)], 'load balancer web: route "a" needs path_patterns or host_headers'),
        ([_route("a", 1, path_patterns=["/a"]), _route("b", 1, host_headers=["b.example"])], 'load balancer web: routes "a" and "b" share priority 1'),
        ([_route("a", 1, path_patterns=["/a"]), _route("a", 2, path_patterns=["/b"])], "load balancer web: a route name is given twice (a, a)"),
    ],
)
def test_routes_a_listener_would_refuse_are_refused_in_one_line(routes, message):
    args = {"certificate_arn": "arn:cert", "vpc_id": "vpc-1", "subnet_ids": ["subnet-a", "subnet-b"], "routes": routes}
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        LoadBalancer("web", args)


def test_rule_conditions_put_hosts_before_paths_and_leave_out_what_is_empty():
    route = _route("a", 1, path_patterns=["/a/*"], host_headers=["a.example"])
    assert rule_conditions(route) == [{"host_header": {"values": ["a.example"]}}, {"path_pattern": {"values": ["/a/*"]}}]
    assert rule_conditions(_route("a", 1, path_patterns=["/a/*"], host_headers=[])) == [{"path_pattern": {"values": ["/a/*"]}}]
    assert health_check(route)["path"] == "/healthz"


def test_prod_keeps_its_load_balancer_and_its_access_logs(stack_run):
    prod = stack_run("prod")
    alb = one(prod, "aws:lb/loadBalancer:LoadBalancer", "web-alb").inputs
    bucket = "showrunner-prod-alb-logs-123456789012"
    assert alb["enableDeletionProtection"] is True
    assert alb["accessLogs"] == {"bucket": bucket, "prefix": "alb", "enabled": True}
    assert one(prod, "aws:s3/bucket:Bucket", "web-access-logs").inputs["bucket"] == bucket
    block = one(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "web-access-logs-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    policy = json.loads(one(prod, "aws:s3/bucketPolicy:BucketPolicy", "web-access-logs-policy").inputs["policy"])
    assert policy == access_log_policy(bucket, "123456789012", "us-east-1")
    staging = one(stack_run("staging"), "aws:lb/loadBalancer:LoadBalancer", "web-alb").inputs
    assert staging["enableDeletionProtection"] is False and "accessLogs" not in staging
    assert by_type(stack_run("staging"), "aws:s3/bucketPolicy:BucketPolicy") == []


def test_only_elastic_load_balancing_may_write_the_access_logs():
    assert access_log_policy("logs", "123456789012", "us-east-1") == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ElbAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::logs/alb/AWSLogs/123456789012/*",
        }],
    }
    # A Region opened after August 2022 takes the log-delivery service instead of an ELB account.
    newer = access_log_policy("logs", "123456789012", "ap-southeast-5")
    assert newer["Statement"][0]["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
