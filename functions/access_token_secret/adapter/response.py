"""The one response CloudFormation waits for, sent only to CloudFormation, within 4,096 bytes. Bounded,
unlike crhelper's sender (no socket timeout, any HTTP status, retries forever): a few attempts, success
only on 2xx, no retry on a 4xx but 429 (a wrong pre-signed URL stays wrong)."""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from http.client import HTTPException, HTTPSConnection
from typing import TYPE_CHECKING, Final
from urllib.parse import SplitResult, unquote, urlsplit

from ..errors import shorten
from ..logs import logger

if TYPE_CHECKING:
    from .envelope import Envelope

MAX_BODY_BYTES: Final = 4096
ATTEMPTS: Final = 4
SOCKET_TIMEOUT_S: Final = 5.0
ALLOWED_HOSTS_VARIABLE: Final = "RESPONSE_URL_ALLOWED_HOSTS"
DNS_SUFFIX_VARIABLE: Final = "PARTITION_DNS_SUFFIX"
Deliver = Callable[[str, bytes], bool]
_DNS_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


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


def respond(
    envelope: Envelope,
    status: str,
    reason: str,
    physical_id: str,
    *,
    deliver: Deliver,
    data: Mapping[str, str] | None = None,
    no_echo: bool = False,
) -> None:
    """Send the answer to ``envelope``'s request; a FAILED one carries no Data and no NoEcho."""
    failed = status == "FAILED"
    reason = reason if failed else ""
    logger.info("responding", extra={"status": status, "reason": reason, "physical_resource_id": physical_id})
    fields = {"Status": status, "Reason": reason, "PhysicalResourceId": physical_id, "StackId": envelope.stack_id}
    fields |= {"RequestId": envelope.request_id, "LogicalResourceId": envelope.logical_id}
    body = build_body(fields | {"NoEcho": no_echo and not failed, "Data": {} if failed else dict(data or {})})
    deliver(envelope.response_url, body)


def request_key(fields: object) -> str | None:
    """``<StackId>|<LogicalResourceId>|<RequestId>``: the object key of every response URL
    CloudFormation hands out for that request; ``None`` if a part is missing."""
    if not isinstance(fields, Mapping):
        return None
    parts = [fields.get(name) for name in ("StackId", "LogicalResourceId", "RequestId")]
    texts = [part for part in parts if isinstance(part, str) and part]
    return "|".join(texts) if len(texts) == len(parts) else None


def _key_of(path: str) -> str | None:
    """The object key a virtual-hosted URL's path names, percent-decoded once as S3 does
    (``%257C`` stays ``%7C``, which is not ``|``)."""
    try:
        return unquote(path[1:], errors="strict") if path.startswith("/") else None
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class ResponseDestinations:
    """HTTPS to ``cloudformation-custom-resource-response-<region without dashes>`` (CloudFormation User
    Guide, custom resources and VPC endpoints) under the partition's DNS suffix, at the key of the very
    request answered: a response can carry the token, so a relayed URL of another request gets no PUT.
    ``RESPONSE_URL_ALLOWED_HOSTS`` adds hosts; the template never sets it."""

    region: str
    extra_hosts: frozenset[str] = frozenset()
    dns_suffix: str = "amazonaws.com"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ResponseDestinations:
        """The suffix is ``PARTITION_DNS_SUFFIX`` (``AWS::URLSuffix``); a template older than 1.2
        sets none, so it is derived from the Region as 1.1 did (commercial, GovCloud, China)."""
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""
        extra = (host.strip().lower() for host in environ.get(ALLOWED_HOSTS_VARIABLE, "").split(","))
        suffix = environ.get(DNS_SUFFIX_VARIABLE, "").strip().lower().strip(".")
        if not _DNS_NAME.fullmatch(suffix):
            suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return cls(region, frozenset(host for host in extra if host), suffix)

    def refuses(self, url: str, key: str | None) -> bool:
        """Whether ``url`` must get no PUT when answering the request whose key is ``key``
        (:func:`request_key`). The warning names the host, never the URL (its query string is a
        signature, its path names a stack)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return _refused("not CloudFormation's response bucket", "(unparseable URL)")
        host = (parts.hostname or "")[:255]
        if not self._allows(parts, host, port):
            return _refused("not CloudFormation's response bucket", host or "(no host)")
        if key is None or _key_of(parts.path) != key:
            return _refused("its key is not this request's StackId|LogicalResourceId|RequestId", host)
        return False

    def _allows(self, parts: SplitResult, host: str, port: int | None) -> bool:
        """HTTPS without credentials, to an extra host, or to the bucket on port 443."""
        if parts.scheme != "https" or parts.username is not None or parts.password is not None:
            return False
        region, suffix = self.region, self.dns_suffix
        bucket = f"cloudformation-custom-resource-response-{region.replace('-', '')}"
        forms = {f"{bucket}.s3.{suffix}", f"{bucket}.s3.{region}.{suffix}", f"{bucket}.s3-{region}.{suffix}"}
        return host in self.extra_hosts or (bool(region) and host in forms and port in (None, 443))


def _refused(why: str, host: str) -> bool:
    logger.warning(f"response URL refused: {why}", extra={"rejected_host": host})
    return True


def deliver(url: str, body: bytes, *, destinations: ResponseDestinations, attempts: int = ATTEMPTS) -> bool:
    """PUT ``body`` to the pre-signed ``url``; ``True`` once CloudFormation's bucket took it. A URL
    outside ``destinations``, or under another key than the request ``body`` answers, gets nothing."""
    try:
        key = request_key(json.loads(body))
    except ValueError:
        key = None
    if destinations.refuses(url, key):
        return False
    parts = urlsplit(url)
    for attempt in range(1, attempts + 1):
        status = _put(parts, body, attempt)
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


def _put(parts: SplitResult, body: bytes, attempt: int) -> int | None:
    """One PUT: its HTTP status, or ``None`` when none came back. The Content-Type header is sent
    empty: the URL is signed without one, and S3 rejects headers that differ from what was signed."""
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        tls = ssl.create_default_context()
        connection = HTTPSConnection(parts.hostname or "", parts.port, timeout=SOCKET_TIMEOUT_S, context=tls)
        with closing(connection):
            connection.request("PUT", target, body=body, headers={"Content-Type": "", "Content-Length": str(len(body))})
            response = connection.getresponse()
            response.read()
            return response.status
    except (OSError, HTTPException) as error:
        logger.warning("response not delivered", extra={"attempt": attempt, "error": type(error).__name__})
        return None
