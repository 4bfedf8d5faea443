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
