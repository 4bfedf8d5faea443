"""The origin stand-ins can say no (a stand-in that always says yes would prove nothing), and the
WAF example keeps MediaTailor and viewers playing through every operation.

* WAF: the rule group of the example before this release demanded the token on every request,
  so every viewer's segment request (which never carries it) was blocked.
* MediaPackage: a viewer whose CDN does not add the header is refused; a role that may not read
  the secret is refused; MediaPackage never reads AWSPENDING.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.clock import SimulatedClock
from harness.delivery import Cdn
from harness.example_stack import ExampleStack
from harness.origins import (
    MEDIAPACKAGE_V1,
    MEDIAPACKAGE_V2,
    CdnAuthorization,
    MediaPackage,
    OriginServer,
    UnsupportedStatementError,
    WafRuleGroup,
    conditions_hold,
)
from tests.support.aws import Aws
from tests.support.example import failures

TOKEN = "b7d1c2e3-0000-4000-8000-1234567890ab"


def header_rule(statement: dict[str, Any]) -> WafRuleGroup:
    return WafRuleGroup({"Rules": [{"Name": "check", "Priority": 0, "Action": {"Block": {}}, "Statement": statement}]})


def byte_match(field: dict[str, Any], constraint: str, search: str, transform: str = "NONE") -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": field,
            "PositionalConstraint": constraint,
            "SearchString": search,
            "TextTransformations": [{"Priority": 0, "Type": transform}],
        }
    }


TOKEN_MATCH = byte_match({"SingleHeader": {"Name": "X-Origin-Token"}}, "EXACTLY", TOKEN)


def test_an_unscoped_token_rule_blocks_every_viewer_segment_request(
    origin_server: OriginServer, clock: SimulatedClock
) -> None:
    """The rule as the example shipped it before: block whatever lacks a known token."""
    origin_server.gate = header_rule({"NotStatement": {"Statement": TOKEN_MATCH}})
    cdn = Cdn(clock, origin_server.base_url)
    cdn.configure({})

    segment = cdn.forward("/vod/sample/segment-00001.ts", cdn.headers_in_flight()[0])
    manifest = cdn.forward("/vod/sample/index.m3u8", {"X-Origin-Token": TOKEN})

    assert (segment.status, segment.cause) == (403, "blocked by WAF rule check")
    assert manifest.ok


@pytest.mark.parametrize(
    ("constraint", "search", "path", "matches"),
    [
        ("ENDS_WITH", ".m3u8", "/a/INDEX.M3U8", True),
        ("ENDS_WITH", ".m3u8", "/a/segment.ts", False),
        ("STARTS_WITH", "/vod/", "/vod/a.ts", True),
        ("STARTS_WITH", "/vod/", "/live/a.ts", False),
        ("CONTAINS", "sample", "/vod/sample/a.ts", True),
        ("EXACTLY", "/vod/sample/index.m3u8", "/vod/sample/index.m3u8", True),
        ("EXACTLY", "/vod/sample/index.m3u8", "/vod/sample/index.m3u8x", False),
    ],
)
def test_positional_constraints_on_the_lowercased_uri_path(
    constraint: str, search: str, path: str, matches: bool
) -> None:
    rule = header_rule(byte_match({"UriPath": {}}, constraint, search, "LOWERCASE"))

    assert rule(path, {}).ok is not matches


def test_and_or_not_and_a_missing_header() -> None:
    """WAF Developer Guide, "Request components": a request without the inspected header does
    not match the statement; the header's name is not case sensitive."""
    manifests = byte_match({"UriPath": {}}, "ENDS_WITH", ".m3u8")
    rule = header_rule({"AndStatement": {"Statements": [manifests, {"NotStatement": {"Statement": TOKEN_MATCH}}]}})

    assert not rule("/index.m3u8", {}).ok
    assert not rule("/index.m3u8", {"x-origin-token": "wrong-token"}).ok
    assert rule("/index.m3u8", {"x-origin-token": TOKEN}).ok
    assert rule("/segment.ts", {}).ok
    assert (
        header_rule({"OrStatement": {"Statements": [manifests, TOKEN_MATCH]}})(
            "/a.ts", {"x-origin-token": TOKEN}
        ).status
        == 403
    )


@pytest.mark.parametrize(
    ("types", "raw", "seen"),
    [
        (["URL_DECODE"], "/vod/index.m3u%38", "/vod/index.m3u8"),
        (["URL_DECODE"], "/a+b%20c", "/a+b c"),
        (["LOWERCASE", "URL_DECODE"], "/A%2E", "/a."),
        (["NORMALIZE_PATH"], "//vod/./a/../index.m3u8", "/vod/index.m3u8"),
        (["NORMALIZE_PATH"], "/../etc/x", "/../etc/x"),
        (["NORMALIZE_PATH"], "/vod/index.m3u8/x/..", "/vod/index.m3u8"),
        (["NORMALIZE_PATH_WIN"], "\\vod\\index.m3u8", "/vod/index.m3u8"),
        (["URL_DECODE", "NORMALIZE_PATH", "LOWERCASE"], "/VOD/%2e/index.M3U%38", "/vod/index.m3u8"),
    ],
)
def test_text_transformations_apply_in_priority_order_as_waf_documents(types: list[str], raw: str, seen: str) -> None:
    transformations = [{"Priority": priority, "Type": kind} for priority, kind in enumerate(types)]
    statement = byte_match({"UriPath": {}}, "EXACTLY", seen)
    statement["ByteMatchStatement"]["TextTransformations"] = list(reversed(transformations))

    assert not header_rule(statement)(raw, {}).ok, f"{types} turn {raw!r} into {seen!r}"


def test_a_text_transformation_the_stand_in_does_not_know_is_refused_loudly() -> None:
    with pytest.raises(UnsupportedStatementError):
        header_rule(byte_match({"UriPath": {}}, "EXACTLY", "/x", "BASE64_DECODE"))("/x", {})


def test_a_statement_the_stand_in_cannot_evaluate_is_refused_loudly() -> None:
    with pytest.raises(UnsupportedStatementError):
        header_rule({"RegexMatchStatement": {}})("/index.m3u8", {})


# IAM conditions (the bucket policy, MediaPackage's endpoint policy) -------------------------


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        pytest.param({"StringEquals": {"AWS:SourceArn": "arn:a"}}, True, id="keys-are-not-case-sensitive"),
        pytest.param({"StringEquals": {"aws:SourceArn": "ARN:A"}}, False, id="string-values-are"),
        pytest.param({"StringEquals": {"aws:SourceArn": ["arn:b", "arn:a"]}}, True, id="any-listed-value"),
        pytest.param({"Bool": {"aws:SecureTransport": "True"}}, True, id="bool-values-are-not"),
        pytest.param({"Bool": {"aws:SecureTransport": False}}, False, id="bool-false"),
        pytest.param({"StringEquals": {"aws:SourceArn": "arn:a", "aws:SourceAccount": "1"}}, False, id="absent-key"),
        pytest.param(
            {"StringEquals": {"aws:SourceArn": "arn:a"}, "Bool": {"aws:SecureTransport": "false"}},
            False,
            id="every-operator-must-hold",
        ),
    ],
)
def test_iam_conditions_hold_as_iam_evaluates_them(condition: dict[str, Any], holds: bool) -> None:
    context = {"aws:sourcearn": "arn:a", "aws:securetransport": "true"}

    assert conditions_hold(condition, context) is holds


def test_an_iam_condition_operator_the_stand_ins_do_not_know_is_refused_loudly() -> None:
    with pytest.raises(UnsupportedStatementError):
        conditions_hold({"StringLike": {"aws:SourceArn": "arn:*"}}, {"aws:sourcearn": "arn:a"})


# MediaPackage --------------------------------------------------------------------------------


def stored_secret(aws: Aws, name: str, key: str, *values: str) -> str:
    arn = str(aws.secretsmanager.create_secret(Name=name, SecretString=json.dumps({key: values[0]}))["ARN"])
    for value in values[1:]:
        aws.secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({key: value}))
    return arn


def role(*statements: dict[str, Any], service: str = "mediapackage.amazonaws.com") -> tuple[Any, ...]:
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    return trust, ({"Statement": list(statements)},)


def read(arn: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": arn}


@pytest.mark.parametrize("version", [MEDIAPACKAGE_V1, MEDIAPACKAGE_V2], ids=["v1", "v2"])
def test_mediapackage_refuses_a_viewer_whose_cdn_adds_no_header(
    version: Any, aws: Aws, clock: SimulatedClock, origin_server: OriginServer
) -> None:
    arn = stored_secret(aws, f"mediatailor/mp-{version.json_key}", version.json_key, TOKEN)
    trust, policies = role(read(arn), service=version.service)
    mediapackage = MediaPackage(version, aws.secretsmanager, clock)
    mediapackage.configure(CdnAuthorization((arn,), trust, policies, endpoint_policy(CDN_AUTH), ENDPOINT))
    origin_server.gate = mediapackage
    bare, configured = Cdn(clock, origin_server.base_url), Cdn(clock, origin_server.base_url)
    bare.configure({})
    configured.configure({version.header: TOKEN})

    refused = bare.forward("/out/v1/x/segment-00001.ts", {})
    served = configured.forward("/out/v1/x/segment-00001.ts", configured.headers_in_flight()[0])

    assert (refused.status, refused.cause) == (403, f"{version.name}: the request has no {version.header} header")
    assert served.ok, served


ENDPOINT = "arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/g/channel/c/originEndpoint/e"


def endpoint_policy(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "mediapackagev2:GetObject",
        "Resource": ENDPOINT,
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


CDN_AUTH = {"Bool": {"mediapackagev2:RequestHasMatchingCdnAuthHeader": "true"}}


@pytest.mark.parametrize(
    ("policy", "without_header", "with_header"),
    [
        (endpoint_policy(CDN_AUTH), 403, 200),
        (endpoint_policy(None), 200, 200),
        ({"Statement": []}, 403, 403),
    ],
    ids=["with-the-condition", "public", "no-public-statement"],
)
def test_mediapackage_v2_decides_with_its_endpoint_policy(
    aws: Aws, clock: SimulatedClock, policy: dict[str, Any], without_header: int, with_header: int
) -> None:
    """MediaPackage v2 UG, "Configure MediaPackage CDN authorization setup", step 4: CDN
    authorization is enforced by the endpoint policy's condition; a public Allow serves anyone."""
    arn = stored_secret(aws, f"mediatailor/mp-policy-{without_header}-{with_header}", MEDIAPACKAGE_V2.json_key, TOKEN)
    trust, policies = role(read(arn), service=MEDIAPACKAGE_V2.service)
    mediapackage = MediaPackage(MEDIAPACKAGE_V2, aws.secretsmanager, clock)
    mediapackage.configure(CdnAuthorization((arn,), trust, policies, policy, ENDPOINT))
    header = MEDIAPACKAGE_V2.header.lower()

    bare = mediapackage("/out/v1/g/c/e/index.m3u8", {})
    sent = mediapackage("/out/v1/g/c/e/index.m3u8", {header: TOKEN})

    assert (bare.status, sent.status) == (without_header, with_header), (bare, sent)


def test_an_endpoint_policy_condition_the_stand_in_cannot_evaluate_is_refused_loudly(
    aws: Aws, clock: SimulatedClock
) -> None:
    arn = stored_secret(aws, "mediatailor/mp-policy-ip", MEDIAPACKAGE_V2.json_key, TOKEN)
    trust, policies = role(read(arn), service=MEDIAPACKAGE_V2.service)
    policy = endpoint_policy({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})
    mediapackage = MediaPackage(MEDIAPACKAGE_V2, aws.secretsmanager, clock)
    mediapackage.configure(CdnAuthorization((arn,), trust, policies, policy, ENDPOINT))

    with pytest.raises(UnsupportedStatementError):
        mediapackage("/index.m3u8", {MEDIAPACKAGE_V2.header.lower(): TOKEN})


def test_mediapackage_accepts_current_and_previous_but_never_pending(aws: Aws, clock: SimulatedClock) -> None:
    arn = stored_secret(aws, "mediatailor/mp-stages", "MediaPackageCDNIdentifier", "identifier-one", "identifier-two")
    aws.secretsmanager.put_secret_value(
        SecretId=arn,
        SecretString=json.dumps({"MediaPackageCDNIdentifier": "identifier-three"}),
        VersionStages=["AWSPENDING"],
    )
    trust, policies = role(read(arn))
    mediapackage = MediaPackage(MEDIAPACKAGE_V1, aws.secretsmanager, clock)
    mediapackage.configure(CdnAuthorization((arn,), trust, policies))
    header = MEDIAPACKAGE_V1.header.lower()

    assert [mediapackage("/i.m3u8", {header: v}).status for v in ("identifier-one", "identifier-two")] == [200, 200]
    assert mediapackage("/i.m3u8", {header: "identifier-three"}).status == 403


def test_mediapackage_serves_from_its_cache_until_the_cache_time_has_passed(aws: Aws, clock: SimulatedClock) -> None:
    arn = stored_secret(aws, "mediatailor/mp-cache", "MediaPackageV2CDNIdentifier", "identifier-one")
    trust, policies = role(read(arn), service=MEDIAPACKAGE_V2.service)
    mediapackage = MediaPackage(MEDIAPACKAGE_V2, aws.secretsmanager, clock)
    mediapackage.configure(CdnAuthorization((arn,), trust, policies, endpoint_policy(CDN_AUTH), ENDPOINT))
    header = MEDIAPACKAGE_V2.header.lower()
    assert mediapackage("/i.m3u8", {header: "identifier-one"}).ok

    aws.secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({MEDIAPACKAGE_V2.json_key: "id-two-2"}))
    clock.advance(299)
    early = mediapackage("/i.m3u8", {header: "id-two-2"})
    clock.advance(1)
    late = mediapackage("/i.m3u8", {header: "id-two-2"})

    assert early.status == 403
    assert "MediaPackage v2 caches" in early.cause
    assert "for 5 minutes" in early.cause
    assert late.ok


@pytest.mark.parametrize(
    ("trust_service", "statements", "cause"),
    [
        ("mediapackage.amazonaws.com", [], "the role does not let mediapackage.amazonaws.com call GetSecretValue"),
        ("mediaconvert.amazonaws.com", ["read"], "(trust or policy)"),
        ("mediapackage.amazonaws.com", ["read", "deny"], "call GetSecretValue"),
    ],
)
def test_mediapackage_needs_its_role_to_read_the_secret(
    aws: Aws, clock: SimulatedClock, trust_service: str, statements: list[str], cause: str
) -> None:
    arn = stored_secret(
        aws, f"mediatailor/mp-role-{len(statements)}-{trust_service[:5]}", "MediaPackageCDNIdentifier", TOKEN
    )
    documents = {"read": read(arn), "deny": {**read(arn), "Effect": "Deny"}}
    trust, policies = role(*(documents[s] for s in statements), service=trust_service)
    mediapackage = MediaPackage(MEDIAPACKAGE_V1, aws.secretsmanager, clock)
    mediapackage.configure(CdnAuthorization((arn,), trust, policies))

    answer = mediapackage("/i.m3u8", {MEDIAPACKAGE_V1.header.lower(): TOKEN})

    assert answer.status == 403
    assert cause in answer.cause


# The WAF example through every operation ----------------------------------------------------


def test_the_waf_example_plays_through_key_change_rename_json_key_rollbacks_and_delete(
    waf_example: ExampleStack, aws: Aws
) -> None:
    example = waf_example
    arn = example.create(example.custom_properties())[0].physical_id
    example.wait_for_waf()
    new_key = example.new_key()

    keyed = example.update(example.custom_properties(KmsKeyId=new_key))
    renamed = example.update(example.custom_properties(KmsKeyId=new_key, SecretName="mediatailor/renamed"))
    rolled = example.update(
        example.custom_properties(KmsKeyId=new_key, SecretName="mediatailor/renamed", SecretStringKey="Other"),
        fail_later=True,
    )
    rekeyed = example.update(
        example.custom_properties(KmsKeyId=new_key, SecretName="mediatailor/renamed", SecretStringKey="Other")
    )
    staged = example.update(
        example.custom_properties(
            KmsKeyId=new_key, SecretName="mediatailor/renamed", SecretStringKey="Other", NextRotationId="2"
        ),
        fail_later=True,
    )
    deleted = example.delete()

    assert keyed[0].physical_id != arn
    assert renamed[0].physical_id != keyed[0].physical_id
    assert all(r.ok for r in keyed + renamed + rolled + rekeyed + staged + deleted)
    assert failures(example) == []
    assert all(len(check.segments) == 1 for check in example.checks), "a viewer played after every operation"
    assert example.fetch_as_last_configured().cause == "the secret is scheduled for deletion"
