"""CloudFront with a WAF web ACL in front of an S3 origin locked by origin access control (test
code): the chain of ``examples/waf-web-acl-cloudfront.yaml``, read from the example itself.

* :class:`WebAcl` runs a web ACL's rules in priority order; a rule group reference applies the
  rule group as WAF propagates it (:class:`harness.origins.PropagatingRuleGroup`).
* :class:`Distribution` is the gate of the distribution's own server: the web ACL first (WAF
  inspects every viewer request, CloudFront Developer Guide, "Use AWS WAF protections"), then
  the request goes to the origin, signed by origin access control.
* :class:`S3Origin` is the gate of the bucket's server: it reads the bucket policy and the
  bucket's Block Public Access settings, as S3 does.

A request signed by origin access control carries CloudFront's SigV4 signature; here it is an
HMAC over the distribution's ARN and the path with a key only this process holds, so a viewer
cannot forge one. Each rule carries its source.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import http.client
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .account import make_arn
from .mediatailor import _action_matches, _listed, _statements
from .origins import (
    CAUSE_HEADER,
    Answer,
    Gate,
    OriginServer,
    PropagatingRuleGroup,
    UnsupportedStatementError,
    conditions_hold,
)
from .templates import resource_properties

if TYPE_CHECKING:
    from .example_stack import ExampleStack

WEB_ACL_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "waf-web-acl-cloudfront.yaml"
SIGNATURE_HEADER = "Authorization"
_SIGNING_KEY = os.urandom(32)


def _signature(distribution_arn: str, path: str) -> str:
    return hmac.new(_SIGNING_KEY, f"{distribution_arn}\n{path}".encode(), hashlib.sha256).hexdigest()


def oac_authorization(distribution_arn: str, path: str) -> str:
    """What origin access control adds to a request to the bucket ("SigningBehavior: always")."""
    return f"StandIn-OAC distribution={distribution_arn} signature={_signature(distribution_arn, path)}"


def _signer(headers: Mapping[str, str], path: str) -> str | None:
    """The distribution whose origin access control signed this request, or None (anonymous)."""
    value = headers.get(SIGNATURE_HEADER.lower(), "")
    if not value.startswith("StandIn-OAC "):
        return None
    fields = dict(part.split("=", 1) for part in value.split()[1:] if "=" in part)
    arn = fields.get("distribution", "")
    return arn if hmac.compare_digest(fields.get("signature", ""), _signature(arn, path)) else None


@dataclass
class WebAcl:
    """A web ACL (resolved ``AWS::WAFv2::WebACL`` properties) and the rule groups it may name."""

    properties: Mapping[str, Any]
    rule_groups: Mapping[str, PropagatingRuleGroup]

    def __call__(self, path: str, headers: Mapping[str, str]) -> Answer:
        """Rules in priority order; a rule group reference with ``OverrideAction: None`` lets the
        group's Block or Allow decide, ``Count`` only counts (WAF Developer Guide, "Rule group
        override options"); then the default action."""
        for rule in sorted(self.properties.get("Rules", []), key=lambda r: int(r["Priority"])):
            statement = rule["Statement"]
            if "RuleGroupReferenceStatement" not in statement:
                raise UnsupportedStatementError(f"web ACL statement {sorted(statement)}")
            group = self.rule_groups[statement["RuleGroupReferenceStatement"]["Arn"]]
            answer = group(path, headers)
            if "Count" in rule.get("OverrideAction", {}):
                continue
            if answer.status == 403 or answer.cause.startswith("allowed by"):
                return answer
        if "Block" in self.properties["DefaultAction"]:
            return Answer(403, "blocked by the web ACL's default action")
        return Answer(200, "the web ACL let it through (default action Allow)")


@dataclass
class S3Origin:
    """A bucket's answer to a GetObject: the bucket policy must allow the caller, and with
    ``RestrictPublicBuckets`` only AWS principals and services are ever allowed (S3 User Guide,
    "Blocking public access to your Amazon S3 storage"). An anonymous request is refused."""

    bucket_arn: str
    policy: Mapping[str, Any]
    public_access_block: Mapping[str, Any]

    def __call__(self, path: str, headers: Mapping[str, str]) -> Answer:
        signer = _signer(headers, path)
        # S3 decodes the path into the object key (S3 API reference, GetObject: the key is
        # URL-encoded in the request URI).
        resource = f"{self.bucket_arn}/{unquote(path).lstrip('/')}"
        if signer is None:
            if self.public_access_block.get("RestrictPublicBuckets"):
                return Answer(403, "S3: AccessDenied (anonymous request; the bucket blocks public access)")
            return Answer(403, "S3: AccessDenied (the stand-in allows no anonymous access)")
        context = {"aws:sourcearn": signer}
        matching = [
            s
            for s in _statements(self.policy)
            if isinstance(s.get("Principal"), Mapping)
            and "cloudfront.amazonaws.com" in _listed(s["Principal"].get("Service"))
            and _action_matches(s, "s3:GetObject")
            and any(fnmatch.fnmatchcase(resource, r) for r in _listed(s.get("Resource")))
            and conditions_hold(s.get("Condition"), context)
        ]
        if any(s.get("Effect") == "Allow" for s in matching):
            return Answer(200, "S3 served it to the distribution's origin access control")
        return Answer(403, "S3: AccessDenied (the bucket policy does not allow this distribution)")


@dataclass
class Distribution:
    """The distribution's edge: the web ACL, then a request to the origin server, signed by
    origin access control. Headers the cache policy does not forward are not sent (the managed
    CachingOptimized policy forwards none, CloudFront Developer Guide, "Use managed cache
    policies")."""

    arn: str
    web_acl: WebAcl | None
    origin_base_url: str

    def __call__(self, path: str, headers: Mapping[str, str]) -> Answer:
        if self.web_acl is not None:
            verdict = self.web_acl(path, headers)
            if not verdict.ok:
                return Answer(verdict.status, f"CloudFront: {verdict.cause}")
        parts = urlsplit(self.origin_base_url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
        try:
            connection.request("GET", path, headers={SIGNATURE_HEADER: oac_authorization(self.arn, path)})
            response = connection.getresponse()
            response.read()
            cause = response.getheader(CAUSE_HEADER) or ""
        finally:
            connection.close()
        return Answer(response.status, f"CloudFront -> {cause}")


DISTRIBUTION_ID = "EDFDVBD6EXAMPLE"


def put_behind_cloudfront(example: ExampleStack, bucket: OriginServer) -> None:
    """Run ``example`` (``examples/waf-web-acl-cloudfront.yaml``) with ``example.origin`` as the
    distribution's server and ``bucket`` as the content bucket's: the source location's base URL
    is the distribution, the web ACL and the bucket policy are resolved from the example."""
    example.attributes.update(
        {
            "Distribution": DISTRIBUTION_ID,
            "Distribution.DomainName": f"127.0.0.1:{example.origin.port}",
            "OriginTokenCheck.Arn": make_arn("wafv2", "global/rulegroup/example-origin-token-v2/a1b2c3"),
            "WebAcl.Arn": make_arn("wafv2", "global/webacl/example-origin/d4e5f6"),
            "ContentBucket": "example-contentbucket-1a2b3c",
            "ContentBucket.Arn": "arn:aws:s3:::example-contentbucket-1a2b3c",
        }
    )

    def chain(rule_group: PropagatingRuleGroup) -> Gate:
        def resolved(logical_id: str) -> dict[str, Any]:
            return resource_properties(example.template, logical_id, example.parameters, example.attributes)

        attributes = example.attributes
        config = resolved("Distribution")["DistributionConfig"]
        acl = WebAcl(resolved("WebAcl"), {attributes["OriginTokenCheck.Arn"]: rule_group})
        bucket_properties = resolved("ContentBucket")
        bucket.gate = S3Origin(
            attributes["ContentBucket.Arn"],
            resolved("ContentBucketPolicy")["PolicyDocument"],
            bucket_properties["PublicAccessBlockConfiguration"],
        )
        web_acl = acl if config.get("WebACLId") == attributes["WebAcl.Arn"] else None
        arn = make_arn("cloudfront", f"distribution/{DISTRIBUTION_ID}", region="")
        return Distribution(arn, web_acl, bucket.base_url)

    example.gate_for = chain
