"""CloudFormation custom resource ``Custom::MediaTailorAccessTokenSecret``, in three layers that talk one way
(event -> properties -> observe -> plan -> apply -> response): :mod:`.adapter` alone knows CloudFormation and
crhelper, :mod:`.plan` is pure (properties and observed state in, actions out), :mod:`.aws` alone imports
boto3. Nothing is imported here on purpose: the Lambda handler path imports only what it uses."""

from __future__ import annotations

__all__: list[str] = []
