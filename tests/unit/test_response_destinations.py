"""Where a response may go: CloudFormation's response bucket for the function's Region, under the
partition's DNS suffix, and under the object key of the very request it answers
(docs/security.md). No network: ``refuses`` is pure, and ``deliver`` refuses before connecting."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest
from access_token_secret.adapter.response import ResponseDestinations, build_body, deliver, request_key

from tests.support.network import connections

# Public sample events, rebuilt field by field (the query strings are shortened; only the host
# and path matter here). Each names: where it was published, the host form, and the encoding.
SAMPLES = {
    # Lambda Developer Guide, "Using AWS Lambda with CloudFormation": dashed Regional host,
    # ":" as %3A, "|" as %7C, the stack ARN's slashes kept, a SigV2 query.
    "Lambda Developer Guide": (
        "https://cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com/"
        "arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/lambda-error-processor/"
        "1134083a-2608-1e91-9897-022501a2c456%7Cprimerinvoke%7C5d478078-13e9-baf0-464a-7ef285ecc786"
        "?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1555451971&Signature=28UijZePE5I4dvukKQqM%2F9Rf1o4%3D",
        "us-east-1",
        "arn:aws:cloudformation:us-east-1:123456789012:stack/lambda-error-processor/1134083a-2608-1e91-9897-022501a2c456",
        "primerinvoke",
        "5d478078-13e9-baf0-464a-7ef285ecc786",
    ),
    # AWS Knowledge Center, "...custom resource stuck in DELETE_FAILED or DELETE_IN_PROGRESS":
    # dotted Regional host, SigV4 query.
    "Knowledge Center": (
        "https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/"
        "arn%3Aaws%3Acloudformation%3Aus-east-1%3A111122223333%3Astack/awsexamplecloudformation/"
        "33ad60e0-5f25-11e9-a734-0aa6b80efab2%7CMyCustomResource%7Ce2fc8f5c-0391-4a65-a645-7c695646739"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        "us-east-1",
        "arn:aws:cloudformation:us-east-1:111122223333:stack/awsexamplecloudformation/33ad60e0-5f25-11e9-a734-0aa6b80efab2",
        "MyCustomResource",
        "e2fc8f5c-0391-4a65-a645-7c695646739",
    ),
    # A China Region event published with an SNS-backed provider (the Lambda Developer Guide's
    # China edition shows the same host form): aws-cn partition, .amazonaws.com.cn.
    "China Region": (
        "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/"
        "arn%3Aaws-cn%3Acloudformation%3Acn-north-1%3A296259413523%3Astack/dropme/"
        "467c5470-6549-11e6-aed7-50d5cdfd10fa%7CCIServerTest%7C91126ada-82e5-42a4-b45a-37f14cdff905"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7199&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        "cn-north-1",
        "arn:aws-cn:cloudformation:cn-north-1:296259413523:stack/dropme/467c5470-6549-11e6-aed7-50d5cdfd10fa",
        "CIServerTest",
        "91126ada-82e5-42a4-b45a-37f14cdff905",
    ),
    # An early (2013) SNS-backed event: global host, ":" and "|" not encoded at all.
    "unencoded 2013 event": (
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
        "arn:aws:cloudformation:us-east-1:287482246495:stack/test-custom03/92cb9a50-56d0-11e3-b2de-500150b34cb4"
        "|MyCustomResourceTest|de8d6e36-8b45-46a0-a47e-bb7e6a9640ec?Expires=1387250657&Signature=00",
        "us-east-1",
        "arn:aws:cloudformation:us-east-1:287482246495:stack/test-custom03/92cb9a50-56d0-11e3-b2de-500150b34cb4",
        "MyCustomResourceTest",
        "de8d6e36-8b45-46a0-a47e-bb7e6a9640ec",
    ),
}


def key(stack_id: str, logical_id: str, request_id: str) -> str | None:
    return request_key({"StackId": stack_id, "LogicalResourceId": logical_id, "RequestId": request_id})


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_real_sample_response_urls_are_accepted(sample: str) -> None:
    url, region, stack_id, logical_id, request_id = SAMPLES[sample]
    destinations = ResponseDestinations.from_environment({"AWS_REGION": region})

    assert not destinations.refuses(url, key(stack_id, logical_id, request_id))


@pytest.mark.parametrize("sample", list(SAMPLES))
@pytest.mark.parametrize("part", ["StackId", "LogicalResourceId", "RequestId"])
def test_a_real_url_relayed_to_another_request_is_refused(sample: str, part: str) -> None:
    """The URL is genuine, but the event names another stack, logical ID or request: the body
    would land under the URL's request, not the event's."""
    url, region, stack_id, logical_id, request_id = SAMPLES[sample]
    fields = {"StackId": stack_id, "LogicalResourceId": logical_id, "RequestId": request_id}
    fields[part] = {
        "StackId": stack_id.replace("stack/", "stack/victim-"),
        "LogicalResourceId": "VictimToken",
        "RequestId": "0f0e0d0c-0b0a-4909-8807-060504030201",
    }[part]
    destinations = ResponseDestinations.from_environment({"AWS_REGION": region})

    assert destinations.refuses(url, request_key(fields))


STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/media/5b6f1a10-7f6e-11ef-9a1b-0affd1a2b3c4"
HOST = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
ENCODED_STACK = STACK.replace(":", "%3A")


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        pytest.param(f"{ENCODED_STACK}%7CToken%7Cr-1", True, id="as CloudFormation sends it"),
        pytest.param(f"{STACK}|Token|r-1", True, id="nothing encoded"),
        pytest.param(f"{ENCODED_STACK}%7cToken%7cr-1", True, id="lower-case percent escapes"),
        pytest.param(f"{ENCODED_STACK.replace('/', '%2F')}%7CToken%7Cr-1", True, id="slashes encoded"),
        pytest.param(f"{ENCODED_STACK}%257CToken%257Cr-1", False, id="pipes encoded twice"),
        pytest.param(f"{STACK.replace(':', '%253A')}%7CToken%7Cr-1", False, id="colons encoded twice"),
        pytest.param(f"{ENCODED_STACK}%7CToken%7Cr-1/", False, id="trailing slash"),
        pytest.param(f"{ENCODED_STACK}%7CToken%7Cr-1%7C", False, id="trailing pipe"),
        pytest.param(f"{ENCODED_STACK}%7Ctoken%7Cr-1", False, id="logical ID in another case"),
        pytest.param(f"x/{ENCODED_STACK}%7CToken%7Cr-1", False, id="key under a prefix"),
        pytest.param(f"{ENCODED_STACK}%7CToken", False, id="no request ID"),
        pytest.param(f"{ENCODED_STACK}%7CToken%7Cr-1%FF", False, id="not UTF-8"),
        pytest.param("", False, id="empty key"),
    ],
)
def test_the_key_is_the_path_decoded_once(path: str, accepted: bool) -> None:
    destinations = ResponseDestinations.from_environment({"AWS_REGION": "us-east-1"})

    assert destinations.refuses(f"{HOST}{path}?X-Amz-Signature=00", key(STACK, "Token", "r-1")) is not accepted


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"StackId": STACK, "LogicalResourceId": "Token"},
        {"StackId": STACK, "LogicalResourceId": "Token", "RequestId": ""},
        {"StackId": STACK, "LogicalResourceId": "Token", "RequestId": 7},
        "not an event",
    ],
)
def test_an_event_that_does_not_name_its_request_has_no_url_to_answer(fields: object) -> None:
    destinations = ResponseDestinations.from_environment({"AWS_REGION": "us-east-1"})

    assert request_key(fields) is None
    assert destinations.refuses(f"{HOST}{ENCODED_STACK}%7CToken%7C?X-Amz-Signature=00", request_key(fields))
    assert destinations.refuses(f"{HOST}%7C%7C?X-Amz-Signature=00", request_key(fields))


def test_the_extra_test_hosts_still_need_the_requests_key() -> None:
    destinations = ResponseDestinations.from_environment(
        {"AWS_REGION": "us-east-1", "RESPONSE_URL_ALLOWED_HOSTS": "127.0.0.1"}
    )
    own = f"https://127.0.0.1:8443/{ENCODED_STACK}%7CToken%7Cr-1?X-Amz-Signature=00"

    assert not destinations.refuses(own, key(STACK, "Token", "r-1"))
    assert destinations.refuses(own, key(STACK, "Token", "r-2"))


def test_the_sender_refuses_a_body_for_another_request_before_connecting() -> None:
    """The second check, at the PUT itself: the body names the request it answers, and it goes
    only under that request's key (whatever called the sender)."""
    destinations = ResponseDestinations.from_environment({"AWS_REGION": "us-east-1"})
    url = f"{HOST}{ENCODED_STACK}%7CToken%7Cr-1?X-Amz-Signature=00"
    body = build_body({"Status": "SUCCESS", "StackId": STACK, "LogicalResourceId": "Token", "RequestId": "r-2"})

    with connections() as attempted:
        delivered = deliver(url, body, destinations=destinations, attempts=1)

    assert delivered is False
    assert attempted == []


# --- Partitions -----------------------------------------------------------------------------

# Each partition botocore 1.43 knows, one of its Regions, and its DNS suffix (botocore's
# data/partitions.json, "dnsSuffix"); CloudFormation passes the same value as AWS::URLSuffix.
PARTITIONS = {
    "aws": ("us-east-1", "amazonaws.com"),
    "aws-cn": ("cn-north-1", "amazonaws.com.cn"),
    "aws-us-gov": ("us-gov-west-1", "amazonaws.com"),
    "aws-iso": ("us-iso-east-1", "c2s.ic.gov"),
    "aws-iso-b": ("us-isob-east-1", "sc2s.sgov.gov"),
    "aws-iso-e": ("eu-isoe-west-1", "cloud.adc-e.uk"),
    "aws-iso-f": ("us-isof-south-1", "csp.hci.ic.gov"),
    "aws-eusc": ("eusc-de-east-1", "amazonaws.eu"),
}


def botocore_partitions() -> dict[str, tuple[list[str], str]]:
    data = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())
    return {
        partition["id"]: (
            [region for region in partition["regions"] if not region.endswith("-global")],
            partition["outputs"]["dnsSuffix"],
        )
        for partition in data["partitions"]
    }


def test_the_partition_table_covers_every_partition_botocore_knows() -> None:
    known = botocore_partitions()

    assert set(PARTITIONS) == set(known)
    assert {name: suffix for name, (_, suffix) in PARTITIONS.items()} == {
        name: suffix for name, (_, suffix) in known.items()
    }


def bucket_urls(region: str, suffix: str) -> dict[str, str]:
    bucket = f"cloudformation-custom-resource-response-{region.replace('-', '')}"
    path = f"/{STACK.replace(':', '%3A')}%7CToken%7Cr-1?X-Amz-Signature=00"
    return {
        "global": f"https://{bucket}.s3.{suffix}{path}",
        "dotted Regional": f"https://{bucket}.s3.{region}.{suffix}{path}",
        "dashed Regional": f"https://{bucket}.s3-{region}.{suffix}{path}",
    }


@pytest.mark.parametrize("partition", list(PARTITIONS))
def test_the_response_bucket_is_found_under_the_partitions_suffix(partition: str) -> None:
    region, suffix = PARTITIONS[partition]
    destinations = ResponseDestinations.from_environment({"AWS_REGION": region, "PARTITION_DNS_SUFFIX": suffix})

    for form, url in bucket_urls(region, suffix).items():
        assert not destinations.refuses(url, key(STACK, "Token", "r-1")), form
    others = {other for _, other in PARTITIONS.values() if other != suffix}
    for other in others:
        for form, url in bucket_urls(region, other).items():
            assert destinations.refuses(url, key(STACK, "Token", "r-1")), f"{form} under {other}"


def test_every_region_of_every_partition_is_answered_under_its_own_suffix_only() -> None:
    known = botocore_partitions()
    suffixes = {suffix for _, suffix in known.values()}
    for regions, suffix in known.values():
        for region in regions:
            destinations = ResponseDestinations.from_environment({"AWS_REGION": region, "PARTITION_DNS_SUFFIX": suffix})
            for url in bucket_urls(region, suffix).values():
                assert not destinations.refuses(url, key(STACK, "Token", "r-1")), region
            for other in suffixes - {suffix}:
                for url in bucket_urls(region, other).values():
                    assert destinations.refuses(url, key(STACK, "Token", "r-1")), (region, other)


@pytest.mark.parametrize("partition", list(PARTITIONS))
def test_other_s3_endpoint_forms_are_refused(partition: str) -> None:
    """Path style, dual-stack, FIPS, Transfer Acceleration, another Region's endpoint and the
    dual-stack ``api`` suffix: no CloudFormation response URL documented or observed uses them."""
    region, suffix = PARTITIONS[partition]
    bucket = f"cloudformation-custom-resource-response-{region.replace('-', '')}"
    path = f"/{STACK.replace(':', '%3A')}%7CToken%7Cr-1?X-Amz-Signature=00"
    destinations = ResponseDestinations.from_environment({"AWS_REGION": region, "PARTITION_DNS_SUFFIX": suffix})
    forms = {
        "path style": f"https://s3.{region}.{suffix}/{bucket}{path}",
        "global path style": f"https://s3.{suffix}/{bucket}{path}",
        "dual-stack": f"https://{bucket}.s3.dualstack.{region}.{suffix}{path}",
        "FIPS": f"https://{bucket}.s3-fips.{region}.{suffix}{path}",
        "Transfer Acceleration": f"https://{bucket}.s3-accelerate.{suffix}{path}",
        "another Region's endpoint": f"https://{bucket}.s3.eu-west-1.{suffix}{path}",
        "dual-stack suffix": f"https://{bucket}.s3.{region}.api.aws{path}",
        "plain http": f"http://{bucket}.s3.{region}.{suffix}{path}",
    }

    for form, url in forms.items():
        assert destinations.refuses(url, key(STACK, "Token", "r-1")), form


@pytest.mark.parametrize(
    ("region", "suffix"),
    [
        ("us-east-1", "amazonaws.com"),
        ("cn-northwest-1", "amazonaws.com.cn"),
        ("us-gov-east-1", "amazonaws.com"),
        # Without the variable the ISO partitions' suffixes are unknown: their responses are
        # refused (the stack waits) rather than sent to a guessed host. The 1.2 template sets it.
        ("us-iso-east-1", "amazonaws.com"),
    ],
)
@pytest.mark.parametrize("given", [None, "", "  ", "not a suffix"])
def test_without_the_partition_suffix_the_region_decides_as_in_1_1(region: str, suffix: str, given: str | None) -> None:
    environ = {"AWS_REGION": region} | ({} if given is None else {"PARTITION_DNS_SUFFIX": given})

    assert ResponseDestinations.from_environment(environ).dns_suffix == suffix


def test_the_partition_suffix_is_read_as_a_host_name() -> None:
    environ = {"AWS_REGION": "us-iso-east-1", "PARTITION_DNS_SUFFIX": " C2S.IC.GOV. "}

    assert ResponseDestinations.from_environment(environ).dns_suffix == "c2s.ic.gov"
