"""Origins as a viewer's CDN and MediaTailor see them (test code): local HTTP servers on
127.0.0.1 whose every request is decided by a stand-in for what guards a real origin.

* :class:`WafRuleGroup` evaluates the statements of an example's own ``AWS::WAFv2::RuleGroup``
  (resolved with the stack's current attribute values), so the example cannot drift from what
  is tested.
* :class:`MediaPackage` plays MediaPackage v1 or v2 CDN authorization: it reads the secrets the
  endpoint names through the endpoint's role, caches them on the simulated clock, and checks
  every request, manifests and segments alike.

Each rule carries its public source. Answers carry a cause, sent back in the response header
``X-Stand-In-Cause`` so that callers can name it; no cause ever holds a token.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from .clock import SimulatedClock
from .loopback import LoopbackServer
from .mediatailor import _action_matches, _listed, _principal_matches, _statements

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


CAUSE_HEADER = "X-Stand-In-Cause"


@dataclass(frozen=True)
class Answer:
    """What the origin answered one request, and why."""

    status: int
    cause: str

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __str__(self) -> str:
        return f"HTTP {self.status} ({self.cause})"


Gate = Callable[[str, Mapping[str, str]], Answer]


def open_gate(path: str, headers: Mapping[str, str]) -> Answer:
    return Answer(200, "the origin checks nothing")


# The HTTP server ------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.origin.decide(path, headers)
        if answer.ok:
            body = b"#EXTM3U\n#EXTINF:6.0,\nsegment-00001.ts\n" if path.endswith(".m3u8") else b"\x47" * 188
        else:
            body = b"forbidden\n"
        self.send_response(answer.status)
        self.send_header(CAUSE_HEADER, answer.cause)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    origin: OriginServer


class OriginServer(LoopbackServer[_Server]):
    """An origin on 127.0.0.1 that serves a small HLS manifest for ``*.m3u8`` paths and segment
    bytes for anything else, once its ``gate`` says yes. It records which header names each
    request carried (never the values)."""

    def __init__(self, gate: Gate = open_gate) -> None:
        super().__init__(_Server, _Handler)
        self.gate = gate
        self.seen: list[tuple[str, tuple[str, ...], int]] = []
        self._lock = threading.Lock()
        self._server.origin = self

    def decide(self, path: str, headers: Mapping[str, str]) -> Answer:
        with self._lock:
            answer = self.gate(path, headers)
            self.seen.append((path, tuple(sorted(headers)), answer.status))
        return answer

    def accept(self, *, header_names: Iterable[str], tokens: Iterable[str]) -> None:
        """Check tokens itself, as an operator configures a self-managed origin (README)."""
        with self._lock:
            received = self.gate.received if isinstance(self.gate, TokenCheck) else []
            self.gate = TokenCheck(frozenset(header_names), frozenset(tokens), received)

    def last_token(self) -> str | None:
        """The token of the last request that carried one (for assertions; never printed)."""
        with self._lock:
            received = self.gate.received if isinstance(self.gate, TokenCheck) else []
            return received[-1] if received else None


@dataclass
class TokenCheck:
    """A self-managed origin's own check: 200 only when a header it checks carries a token it
    accepts, as a header check or a WAF rule in front of a real origin would. It keeps the tokens
    it received, for assertions only."""

    header_names: frozenset[str]
    tokens: frozenset[str]
    received: list[str] = field(default_factory=list)

    def __call__(self, path: str, headers: Mapping[str, str]) -> Answer:
        offered = [value for name in self.header_names if (value := headers.get(name.lower()))]
        self.received.extend(offered)
        if any(value in self.tokens for value in offered):
            return Answer(200, "")
        return Answer(403, "")


# AWS WAF --------------------------------------------------------------------------------------


class UnsupportedStatementError(Exception):
    """The stand-in cannot evaluate this statement: it proves nothing about it, so it says so."""


def _normalize_path(value: str) -> str:
    """WAF API reference, ``TextTransformation``, NORMALIZE_PATH: "Remove multiple slashes,
    directory self-references, and directory back-references that are not at the beginning of
    the input from an input string." A back-reference at the beginning stays; a trailing ``.``
    segment goes with its slash (the stand-in's reading: WAF gives no example)."""
    kept: list[str] = []
    for segment in re.sub("/{2,}", "/", value).split("/"):
        if segment == ".":
            continue
        if segment == ".." and kept and kept[-1] not in ("", ".."):
            kept.pop()
            continue
        kept.append(segment)
    return "/".join(kept)


# WAF API reference, ``TextTransformation`` (Type): each as documented. URL_DECODE decodes
# %xx escapes ("Decode a URL-encoded value"), not ``+``; NORMALIZE_PATH_WIN first turns
# backslashes into slashes. Any other type raises: the stand-in would be guessing.
TRANSFORMATIONS: dict[str, Callable[[str], str]] = {
    "NONE": lambda value: value,
    "LOWERCASE": str.lower,
    "URL_DECODE": unquote,
    "NORMALIZE_PATH": _normalize_path,
    "NORMALIZE_PATH_WIN": lambda value: _normalize_path(value.replace("\\", "/")),
    "COMPRESS_WHITE_SPACE": lambda value: re.sub(r"[ \t\n\r\f\v]+", " ", value),
}


def _transform(value: str, transformations: list[Mapping[str, Any]]) -> str:
    """WAF applies the text transformations to the request component, in priority order (lowest
    first), before it inspects it (WAF API reference, ``TextTransformation``)."""
    for step in sorted(transformations, key=lambda t: int(t.get("Priority", 0))):
        kind = str(step.get("Type"))
        if kind not in TRANSFORMATIONS:
            raise UnsupportedStatementError(f"text transformation {kind}")
        value = TRANSFORMATIONS[kind](value)
    return value


def _byte_match(statement: Mapping[str, Any], path: str, headers: Mapping[str, str]) -> bool:
    field_to_match = statement["FieldToMatch"]
    if "SingleHeader" in field_to_match:
        # WAF API reference, SingleHeader: the name isn't case sensitive.
        found = headers.get(str(field_to_match["SingleHeader"]["Name"]).lower())
    elif "UriPath" in field_to_match:
        found = path
    else:
        raise UnsupportedStatementError(f"FieldToMatch {sorted(field_to_match)}")
    if found is None:
        # WAF Developer Guide, "Request components in AWS WAF": a request without the component
        # the statement inspects does not match it.
        return False
    value = _transform(found, list(statement.get("TextTransformations", [])))
    wanted = str(statement["SearchString"])
    # WAF API reference, ByteMatchStatement, PositionalConstraint.
    constraint = statement["PositionalConstraint"]
    if constraint == "EXACTLY":
        return value == wanted
    if constraint == "STARTS_WITH":
        return value.startswith(wanted)
    if constraint == "ENDS_WITH":
        return value.endswith(wanted)
    if constraint == "CONTAINS":
        return wanted in value
    raise UnsupportedStatementError(f"PositionalConstraint {constraint}")


def statement_matches(statement: Mapping[str, Any], path: str, headers: Mapping[str, str]) -> bool:
    """ByteMatch, Not, Or and And statements (WAF API reference, ``Statement``)."""
    if "ByteMatchStatement" in statement:
        return _byte_match(statement["ByteMatchStatement"], path, headers)
    if "NotStatement" in statement:
        return not statement_matches(statement["NotStatement"]["Statement"], path, headers)
    if "OrStatement" in statement:
        return any(statement_matches(s, path, headers) for s in statement["OrStatement"]["Statements"])
    if "AndStatement" in statement:
        return all(statement_matches(s, path, headers) for s in statement["AndStatement"]["Statements"])
    raise UnsupportedStatementError(f"statement {sorted(statement)}")


@dataclass(frozen=True)
class WafRuleGroup:
    """One ``AWS::WAFv2::RuleGroup``'s resolved properties, in a web ACL whose default action is
    Allow. Rules run in ``Priority`` order; the first matching rule whose action is Block or
    Allow decides, a Count rule does not (WAF Developer Guide, "Rule action" and "Setting rule
    priority")."""

    properties: Mapping[str, Any]

    def __call__(self, path: str, headers: Mapping[str, str]) -> Answer:
        for rule in sorted(self.properties.get("Rules", []), key=lambda r: int(r["Priority"])):
            if not statement_matches(rule["Statement"], path, headers):
                continue
            action = rule["Action"]
            if "Block" in action:
                return Answer(403, f"blocked by WAF rule {rule['Name']}")
            if "Allow" in action:
                return Answer(200, f"allowed by WAF rule {rule['Name']}")
        return Answer(200, "no WAF rule blocked it (the web ACL's default action is Allow)")


# WAF Developer Guide, "Temporary inconsistencies during updates": a change to a rule group or a
# web ACL takes "from a few seconds to a number of minutes" to propagate, and AWS documents no
# maximum. The examples, their docs and this stand-in take 5 minutes as the worst case.
WAF_PROPAGATION_SECONDS = 300.0


@dataclass
class PropagatingRuleGroup:
    """A rule group as the web ACL applies it while updates propagate, on the simulated clock.
    In the worst case no edge has a change until ``propagation_seconds`` have passed, so a
    request is judged by the newest version that old; before the first version is that old,
    the rule group is not in effect and nothing is blocked."""

    clock: SimulatedClock
    propagation_seconds: float = WAF_PROPAGATION_SECONDS
    versions: list[tuple[float, WafRuleGroup]] = field(default_factory=list)

    def update(self, rule_group: WafRuleGroup) -> None:
        """CreateRuleGroup or UpdateRuleGroup returned: the change starts to propagate."""
        self.versions.append((self.clock.now, rule_group))

    def _settled(self) -> int:
        """How many versions have had the propagation time."""
        return sum(1 for at, _ in self.versions if self.clock.now >= at + self.propagation_seconds)

    @property
    def propagating(self) -> bool:
        return self._settled() < len(self.versions)

    def __call__(self, path: str, headers: Mapping[str, str]) -> Answer:
        settled = self._settled()
        if settled == 0:
            return Answer(200, "the WAF rule group is not in effect yet (still propagating)")
        answer = self.versions[settled - 1][1](path, headers)
        if settled < len(self.versions):
            minutes = int(self.propagation_seconds // 60)
            cause = f"{answer.cause}, as before its last update (WAF propagates for {minutes} min)"
            return Answer(answer.status, cause)
        return answer


# MediaPackage CDN authorization ---------------------------------------------------------------


@dataclass(frozen=True)
class MediaPackageVersion:
    name: str
    header: str
    json_key: str
    cache_seconds: int
    service: str
    max_length: int


# MediaPackage v1 User Guide, "CDN authorization in AWS Elemental MediaPackage" (header, JSON key),
# "Setting up CDN authorization" (8-128 characters) and "Rotating the CDN header value" (wait 10
# minutes for MediaPackage to recognize a changed value).
MEDIAPACKAGE_V1 = MediaPackageVersion(
    "MediaPackage v1",
    "X-MediaPackage-CDNIdentifier",
    "MediaPackageCDNIdentifier",
    600,
    "mediapackage.amazonaws.com",
    128,
)
# MediaPackage v2 User Guide, "Secure MediaPackage content with CDN authorization" (header, 8-256
# characters), "Troubleshoot MediaPackage CDN authorization errors" (JSON key) and "Rotate
# MediaPackage CDN authorization secrets" (MediaPackage caches secret values for 5 minutes).
MEDIAPACKAGE_V2 = MediaPackageVersion(
    "MediaPackage v2",
    "X-MediaPackageV2-CDNIdentifier",
    "MediaPackageV2CDNIdentifier",
    300,
    "mediapackagev2.amazonaws.com",
    256,
)


@dataclass(frozen=True)
class CdnAuthorization:
    """An endpoint's CDN authorization: the secrets it names, the role MediaPackage assumes and,
    for v2, the endpoint policy and the endpoint's ARN (the policy's ``Resource``)."""

    secret_arns: tuple[str, ...]
    trust_policy: Mapping[str, Any]
    role_policies: tuple[Mapping[str, Any], ...]
    endpoint_policy: Mapping[str, Any] | None = None
    endpoint_arn: str = ""
    role_arn: str = ""


# MediaPackage v2 UG, "Configure MediaPackage CDN authorization setup", step 4: the endpoint
# policy's Allow for anyone carries this condition; it is true when the request's
# X-MediaPackageV2-CDNIdentifier matches a secret of the CDN authorization configuration.
CDN_AUTH_CONDITION_KEY = "mediapackagev2:RequestHasMatchingCdnAuthHeader"
GET_OBJECT = "mediapackagev2:GetObject"


@dataclass
class _Cached:
    read_at: float
    values: tuple[str, ...] = ()
    problem: str = ""


def _allows(documents: tuple[Mapping[str, Any], ...], action: str, resource: str) -> bool:
    """Identity policies: some Allow names the action and the resource (ARN patterns with ``*``),
    and no Deny does. Conditions are not evaluated, so a conditional statement never counts."""
    matching = [
        s
        for document in documents
        for s in _statements(document)
        if _action_matches(s, action) and any(fnmatch.fnmatchcase(resource, r) for r in _listed(s.get("Resource")))
    ]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" and not s.get("Condition") for s in matching)


@dataclass
class MediaPackage:
    """One MediaPackage endpoint's CDN authorization, checked on every request."""

    version: MediaPackageVersion
    secretsmanager: SecretsManagerClient
    clock: SimulatedClock
    authorization: CdnAuthorization | None = None
    cache: dict[str, _Cached] = field(default_factory=dict)
    reads: int = 0

    def configure(self, authorization: CdnAuthorization | None) -> None:
        """CreateOriginEndpoint/UpdateOriginEndpoint (v1) or PutOriginEndpointPolicy (v2). What a
        secret that is new to the endpoint is read at is not documented; the stand-in reads it on
        its first request, and keeps the cache of secrets the endpoint still names."""
        self.authorization = authorization
        if authorization is not None:
            self.cache = {arn: entry for arn, entry in self.cache.items() if arn in authorization.secret_arns}

    def __call__(self, path: str, headers: Mapping[str, str]) -> Answer:
        name, authorization = self.version.name, self.authorization
        if authorization is None:
            return Answer(200, f"{name}: CDN authorization is off")
        header = self._header_check(headers)
        if self.version is MEDIAPACKAGE_V2:
            return self._endpoint_policy_decides(header)
        return header

    def _endpoint_policy_decides(self, header: Answer) -> Answer:
        """MediaPackage v2 authorizes GetObject with the endpoint policy (MediaPackage v2 UG,
        "Origin endpoint authorization"); the CDN's request is unsigned, so only statements for
        anyone (``Principal: "*"``) apply. The header check only sets the condition key
        :data:`CDN_AUTH_CONDITION_KEY`: a public Allow without that condition serves a request
        whatever header it carries. An explicit Deny wins (IAM User Guide, "Policy evaluation
        logic")."""
        authorization = self.authorization
        assert authorization is not None
        name = self.version.name
        context = {CDN_AUTH_CONDITION_KEY.lower(): "true" if header.ok else "false"}
        applying = [
            s
            for s in _statements(authorization.endpoint_policy or {})
            if _principal_matches(s)
            and _action_matches(s, GET_OBJECT)
            and any(fnmatch.fnmatchcase(authorization.endpoint_arn, r) for r in _listed(s.get("Resource")))
            and conditions_hold(s.get("Condition"), context)
        ]
        if any(s.get("Effect") == "Deny" for s in applying):
            return Answer(403, f"{name}: the endpoint policy denies GetObject")
        allows = [s for s in applying if s.get("Effect") == "Allow"]
        if not allows:
            if header.ok:
                return Answer(403, f"{name}: the endpoint policy allows anonymous GetObject to no one")
            return header
        if not header.ok:
            return Answer(200, f"{name}: the endpoint policy lets anyone GetObject without {CDN_AUTH_CONDITION_KEY}")
        return header

    def _header_check(self, headers: Mapping[str, str]) -> Answer:
        """Whether the CDN identifier header matches a secret as cached."""
        name, authorization = self.version.name, self.authorization
        assert authorization is not None
        # Every request is checked, manifests and segments alike (MediaPackage UG, "CDN
        # authorization": playback requests must include the header; a mismatch is a 403).
        sent = headers.get(self.version.header.lower())
        if sent is None:
            return Answer(403, f"{name}: the request has no {self.version.header} header")
        problems = []
        for arn in authorization.secret_arns:
            entry = self._cached(arn)
            if entry.problem:
                problems.append(entry.problem)
            elif sent in entry.values:
                return Answer(200, f"{name} accepted the {self.version.header} it had cached")
            else:
                # "MediaPackage authorizes requests that use either the current value in Secrets
                # Manager or one version back" - as of its cache.
                problems.append(
                    f"{name} caches ...{arn[-12:]} for {self.version.cache_seconds // 60} minutes; as read at "
                    f"{SimulatedClock(entry.read_at)} it holds neither AWSCURRENT nor AWSPREVIOUS equal to the "
                    f"{self.version.header} sent"
                )
        return Answer(403, "; ".join(problems))

    def _cached(self, arn: str) -> _Cached:
        entry = self.cache.get(arn)
        if entry is None or self.clock.now - entry.read_at >= self.version.cache_seconds:
            entry = self._read(arn)
            if not entry.problem:
                self.cache[arn] = entry
        return entry

    def _read(self, arn: str) -> _Cached:
        """AWSCURRENT and AWSPREVIOUS under the version's JSON key, if the role may read them."""
        self.reads += 1
        now, name = self.clock.now, self.version.name
        problem = self._access_problem(arn)
        if problem:
            return _Cached(now, problem=f"{name}: {problem}")
        values = []
        for stage in ("AWSCURRENT", "AWSPREVIOUS"):
            try:
                text = self.secretsmanager.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]
            except ClientError:
                continue  # no AWSPREVIOUS yet
            value = _json_value(text, self.version.json_key)
            if value is not None and 8 <= len(value) <= self.version.max_length:
                values.append(value)
            elif stage == "AWSCURRENT":
                wanted = f"{self.version.json_key} of 8-{self.version.max_length} characters"
                return _Cached(now, problem=f"{name}: AWSCURRENT holds no {wanted}")
        return _Cached(now, tuple(values))

    def _access_problem(self, arn: str) -> str:
        """Why MediaPackage's role cannot read the secret, or "". The role must trust the
        service; its policies must allow GetSecretValue on the secret and kms:Decrypt on its key
        (MediaPackage UG, "Secrets Manager access for CDN authorization"; the secret must be in
        the same account and Region, "Setting up CDN authorization"). In the same account the
        identity policy suffices unless the secret's resource policy denies (IAM User Guide,
        "Policy evaluation logic")."""
        authorization = self.authorization
        assert authorization is not None
        short = f"...{arn[-12:]}"
        problem = self._role_problem(arn)
        if problem:
            return problem
        try:
            described = self.secretsmanager.describe_secret(SecretId=arn)
        except ClientError:
            return f"the secret {short} does not exist"
        if described.get("DeletedDate") is not None:
            return f"the secret {short} is scheduled for deletion"
        key = str(described.get("KmsKeyId") or "")
        if key and not _allows(authorization.role_policies, "kms:Decrypt", key):
            return "the role may not call kms:Decrypt on the secret's key"
        if self._resource_policy_denies(arn):
            return "the secret's resource policy denies GetSecretValue"
        return ""

    def _role_problem(self, arn: str) -> str:
        """The role trusts the service and may read the secret; for v1 its policy also allows
        iam:GetRole and iam:PassRole on the role itself (MediaPackage v1 UG, "Secrets Manager
        access for CDN authorization"). The first problem, or ""."""
        authorization = self.authorization
        assert authorization is not None
        service = self.version.service
        trusted = any(
            s.get("Effect") == "Allow"
            and service in _listed((s.get("Principal") or {}).get("Service"))
            and _action_matches(s, "sts:AssumeRole")
            for s in _statements(authorization.trust_policy)
        )
        if not trusted or not _allows(authorization.role_policies, "secretsmanager:GetSecretValue", arn):
            return f"the role does not let {service} call GetSecretValue on ...{arn[-12:]} (trust or policy)"
        if self.version is MEDIAPACKAGE_V1 and authorization.role_arn:
            for action in ("iam:GetRole", "iam:PassRole"):
                if not _allows(authorization.role_policies, action, authorization.role_arn):
                    return f"the role's policies do not allow {action} on the role itself"
        return ""

    def _resource_policy_denies(self, arn: str) -> bool:
        text = self.secretsmanager.get_resource_policy(SecretId=arn).get("ResourcePolicy")
        policy = json.loads(text) if text else {}
        denies = [s for s in _statements(policy) if s.get("Effect") == "Deny"]
        return any(_action_matches(s, "secretsmanager:GetSecretValue") for s in denies)


# IAM condition operators the stand-ins evaluate (IAM User Guide, "IAM JSON policy elements:
# Condition operators"): StringEquals compares exactly, Bool compares "true"/"false".
_CONDITION_OPERATORS: Final[dict[str, Callable[[str, object], bool]]] = {
    "StringEquals": lambda found, wanted: found == wanted,
    "Bool": lambda found, wanted: found == str(wanted).lower(),
}


def conditions_hold(condition: object, context: Mapping[str, str]) -> bool:
    """IAM condition blocks: every operator and key must hold, a key holding when the request's
    value matches any listed value (IAM User Guide, "Condition element"; keys are not case
    sensitive, so ``context`` is keyed in lower case). A key absent from the context does not
    match. An operator not in :data:`_CONDITION_OPERATORS` raises: guessing would prove nothing."""
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        raise UnsupportedStatementError(f"Condition {condition!r}")
    for operator, clauses in condition.items():
        matches = _CONDITION_OPERATORS.get(operator)
        if matches is None or not isinstance(clauses, Mapping):
            raise UnsupportedStatementError(f"condition operator {operator}")
        for key, wanted in clauses.items():
            found = context.get(str(key).lower())
            if found is None or not any(matches(found, value) for value in _listed_values(wanted)):
                return False
    return True


def _listed_values(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _json_value(text: str, key: str) -> str | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, str) else None
