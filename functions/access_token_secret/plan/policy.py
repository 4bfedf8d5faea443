"""The secret's resource policy, always built here and never taken from the template."""

from __future__ import annotations

import json

MEDIATAILOR_PRINCIPAL = "mediatailor.amazonaws.com"


def resource_policy(secret_arn: str) -> str:
    """Exactly the statement MediaTailor's user guide documents (no Condition is documented)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "MediaTailorReadsAccessToken",
                    "Effect": "Allow",
                    "Principal": {"Service": MEDIATAILOR_PRINCIPAL},
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": secret_arn,
                }
            ],
        },
        separators=(",", ":"),
    )


def _one_or_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _is_mediatailor_read(statement: object, secret_arn: str) -> bool:
    """The statement above, in any spelling (``Resource`` ``*`` means the secret itself), and
    nothing else: the provider's policy would drop a ``Condition``, ``Not*`` or ``Deny``."""
    if not isinstance(statement, dict) or not set(statement) <= {"Sid", "Effect", "Principal", "Action", "Resource"}:
        return False
    principal = statement.get("Principal")
    services = principal.get("Service") if isinstance(principal, dict) and set(principal) == {"Service"} else None
    return (
        statement.get("Effect") == "Allow"
        and _one_or_list(services) == [MEDIATAILOR_PRINCIPAL]
        and _one_or_list(statement.get("Action")) == ["secretsmanager:GetSecretValue"]
        and _one_or_list(statement.get("Resource")) in ([secret_arn], ["*"])
    )


def grants_only_mediatailor(policy: str | None, secret_arn: str) -> bool:
    """Whether replacing ``policy`` takes no access away: PutResourcePolicy replaces the whole
    policy (Secrets Manager API reference), so another principal would lose its access."""
    if policy is None or not policy.strip():
        return True
    try:
        document = json.loads(policy)
    except ValueError:
        return False
    if not isinstance(document, dict) or not set(document) <= {"Version", "Id", "Statement"}:
        return False
    statements = _one_or_list(document.get("Statement", []))
    return all(_is_mediatailor_read(statement, secret_arn) for statement in statements)
