"""Delivering the one response CloudFormation waits for.

crhelper's own sender has no socket timeout, ignores the HTTP status and retries forever; a
response that never lands leaves the stack waiting for an hour, and one that loops keeps the
function busy until Lambda kills it. This sender is bounded: a few attempts with a socket
timeout, success only on HTTP 2xx, no retry on a 4xx other than 429 (an expired or wrong
pre-signed URL does not get better). The body is built to fit CloudFormation's 4,096 bytes.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, unquote, urlsplit

from ..logs import logger

MAX_BODY_BYTES: Final = 4096
MAX_REASON_CHARS: Final = 255
ATTEMPTS: Final = 4
SOCKET_TIMEOUT_S: Final = 5.0


def shorten(reason: str, limit: int = MAX_REASON_CHARS) -> str:
    """Keep the beginning (what failed), cut the end; CloudFormation shows the first words."""
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 3].rstrip() + "..."


def build_body(fields: Mapping[str, object]) -> bytes:
    """JSON for the PUT, shortened until it fits ``MAX_BODY_BYTES``."""
    body = dict(fields)
    body["Reason"] = shorten(str(body.get("Reason") or ""))
    encoded = json.dumps(body, separators=(",", ":")).encode()
    while len(encoded) > MAX_BODY_BYTES and body["Reason"]:
        body["Reason"] = shorten(str(body["Reason"]), max(len(str(body["Reason"])) // 2, 3))
        encoded = json.dumps(body, separators=(",", ":")).encode()
    if len(encoded) > MAX_BODY_BYTES:
        body.update(Status="FAILED", Data={}, NoEcho=False, Reason="The response would exceed 4096 bytes")
        encoded = json.dumps(body, separators=(",", ":")).encode()
    return encoded


ALLOWED_HOSTS_VARIABLE: Final = "RESPONSE_URL_ALLOWED_HOSTS"
DNS_SUFFIX_VARIABLE: Final = "PARTITION_DNS_SUFFIX"
_DNS_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


def request_key(fields: object) -> str | None:
    """``<StackId>|<LogicalResourceId>|<RequestId>``: the object key of every response URL
    CloudFormation hands out for that request; ``None`` if a part is missing."""
    if not isinstance(fields, Mapping):
        return None
    parts = [fields.get(name) for name in ("StackId", "LogicalResourceId", "RequestId")]
    if not all(isinstance(part, str) and part for part in parts):
        return None
    return "|".join(str(part) for part in parts)


def _key_of(path: str) -> str | None:
    """The S3 object key a virtual-hosted URL path names: the path without its leading slash,
    percent-decoded once (as S3 does; ``%257C`` stays ``%7C``, which is not ``|``)."""
    if not path.startswith("/"):
        return None
    try:
        return unquote(path[1:], errors="strict")
    except UnicodeDecodeError:
        return None


def partition_dns_suffix(environ: Mapping[str, str], region: str) -> str:
    """The partition's DNS suffix: ``PARTITION_DNS_SUFFIX`` (the template passes
    ``AWS::URLSuffix``); without it (a template older than 1.2) it is derived from the Region
    as 1.1 did, which is right for the commercial, GovCloud and China partitions only."""
    given = environ.get(DNS_SUFFIX_VARIABLE, "").strip().lower().strip(".")
    if _DNS_NAME.fullmatch(given):
        return given
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


@dataclass(frozen=True)
class ResponseDestinations:
    """Where a response may go: CloudFormation's response bucket for this Region, over HTTPS,
    under the key of the very request it answers.

    CloudFormation's pre-signed response URLs point at the bucket
    ``cloudformation-custom-resource-response-<region without dashes>`` (CloudFormation User
    Guide, custom resources and VPC endpoints), virtual-hosted style under the partition's DNS
    suffix, and the object key is ``<StackId>|<LogicalResourceId>|<RequestId>``. A response can
    carry the token (``ReturnAccessToken``), so a URL anywhere else gets no PUT at all, and so
    does a genuine URL of another request (relayed from a stack of the invoker's own: its
    signature is CloudFormation's, but the body would land under that other request). Tests and
    the demo widen the hosts with ``RESPONSE_URL_ALLOWED_HOSTS`` (comma-separated host names,
    still HTTPS, still the request's key); the provider's template never sets it.
    """

    region: str
    extra_hosts: frozenset[str] = frozenset()
    dns_suffix: str = "amazonaws.com"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ResponseDestinations:
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""
        extra = (host.strip().lower() for host in environ.get(ALLOWED_HOSTS_VARIABLE, "").split(","))
        return cls(
            region=region,
            extra_hosts=frozenset(host for host in extra if host),
            dns_suffix=partition_dns_suffix(environ, region),
        )

    def bucket_hosts(self) -> frozenset[str]:
        if not self.region:
            return frozenset()
        bucket = f"cloudformation-custom-resource-response-{self.region.replace('-', '')}"
        suffix = self.dns_suffix
        return frozenset(
            {f"{bucket}.s3.{suffix}", f"{bucket}.s3.{self.region}.{suffix}", f"{bucket}.s3-{self.region}.{suffix}"}
        )

    def refuses(self, url: str, key: str | None) -> bool:
        """Whether ``url`` must get no PUT when answering the request whose key is ``key``
        (:func:`request_key`). The warning names the host, never the URL (its query string is a
        signature, its path names a stack)."""
        host = self.refused_host(url)
        if host is not None:
            logger.warning("response URL refused: not CloudFormation's response bucket", extra={"rejected_host": host})
            return True
        if key is None or _key_of(urlsplit(url).path) != key:
            logger.warning(
                "response URL refused: its key is not this request's StackId|LogicalResourceId|RequestId",
                extra={"rejected_host": (urlsplit(url).hostname or "")[:255]},
            )
            return True
        return False

    def refused_host(self, url: str) -> str | None:
        """The host to name in a warning when ``url``'s host is not allowed, else ``None``."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return "(unparseable URL)"
        host = (parts.hostname or "")[:255]
        if parts.scheme != "https" or parts.username is not None or parts.password is not None:
            return host or "(no host)"
        if host in self.extra_hosts:
            return None
        if host in self.bucket_hosts() and port in (None, 443):
            return None
        return host or "(no host)"


def _connection(parts: SplitResult, context: ssl.SSLContext | None) -> tuple[http.client.HTTPConnection, str]:
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPSConnection(
        parts.hostname or "", parts.port, timeout=SOCKET_TIMEOUT_S, context=context or ssl.create_default_context()
    )
    return connection, target


def deliver(
    url: str,
    body: bytes,
    *,
    destinations: ResponseDestinations,
    context: ssl.SSLContext | None = None,
    attempts: int = ATTEMPTS,
) -> bool:
    """PUT ``body`` to the pre-signed ``url``; ``True`` once CloudFormation's bucket took it.

    A URL outside ``destinations``, or one whose key is not the request ``body`` answers, gets
    nothing. The Content-Type header is sent empty: the URL is signed without one, and S3 rejects
    a request whose headers differ from what was signed.
    """
    try:
        answered = json.loads(body)
    except ValueError:
        answered = None
    if destinations.refuses(url, request_key(answered)):
        return False
    parts = urlsplit(url)
    for attempt in range(1, attempts + 1):
        status: int | None = None
        try:
            connection, target = _connection(parts, context)
            try:
                connection.request(
                    "PUT", target, body=body, headers={"Content-Type": "", "Content-Length": str(len(body))}
                )
                response = connection.getresponse()
                response.read()
                status = response.status
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            logger.warning("response not delivered", extra={"attempt": attempt, "error": type(error).__name__})
        if status is not None:
            if 200 <= status < 300:
                logger.info("response delivered", extra={"attempt": attempt, "http_status": status})
                return True
            logger.warning("response refused", extra={"attempt": attempt, "http_status": status})
            if 400 <= status < 500 and status != 429:
                return False
        if attempt < attempts:
            time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
    logger.error("response could not be delivered; CloudFormation will time out this request")
    return False
