"""The one fake AWS account everything local runs in: its ID, Region and partition.

moto answers for account 123456789012 unless told otherwise, and the provider's environment
(:mod:`harness.environment`) sets this Region; every ARN the harness and the tests build comes
from here, so a test that needs *another* account or Region says so by its own literal.
"""

from __future__ import annotations

from typing import Final

ACCOUNT: Final = "123456789012"  # moto's default account
REGION: Final = "us-east-1"
PARTITION: Final = "aws"


def make_arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    """``arn:aws:<service>:<region>:<account>:<resource>``; ``region=""`` for global services (IAM)."""
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


# The role that deploys the example stacks (their DeployerPrincipalArn parameter).
DEPLOYER: Final = make_arn("iam", "role/deployer", region="")
