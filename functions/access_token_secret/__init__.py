"""CloudFormation custom resource ``Custom::MediaTailorAccessTokenSecret``.

The package is split in three layers that only talk one way
(event -> properties -> observe -> plan -> apply -> response):

* :mod:`access_token_secret.adapter` knows CloudFormation and crhelper, nothing else does;
* :mod:`access_token_secret.plan` is pure: validated properties plus observed state in,
  a tuple of actions out;
* :mod:`access_token_secret.aws` is the only code that imports boto3.

Nothing is imported here on purpose: the Lambda handler path imports only what it uses.
"""

from __future__ import annotations

__all__: list[str] = []
