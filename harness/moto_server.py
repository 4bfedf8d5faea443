"""moto's server, with one correction where moto contradicts AWS's documented behaviour.

After ``UpdateSecretVersionStage`` moves AWSCURRENT, moto keeps its internal "default version"
on the version AWSCURRENT left. A later ``PutSecretValue`` then demotes that stale version to
AWSPREVIOUS and leaves *two* versions labelled AWSCURRENT. AWS moves AWSCURRENT from whichever
version holds it, and AWSPREVIOUS to that version (Secrets Manager API reference,
``PutSecretValue`` and ``UpdateSecretVersionStage``). Without the correction a rollback that
promotes an earlier version, followed by any new token, would read the wrong token in tests.

Usage: ``python -m harness.moto_server -H 127.0.0.1 -p <port>`` (the arguments of
``moto.server``).
"""

from __future__ import annotations

from typing import Any

from moto import server
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend

_update_secret_version_stage = SecretsManagerBackend.update_secret_version_stage


def _moving_the_default_too(
    self: SecretsManagerBackend,
    secret_id: str,
    version_stage: str,
    remove_from_version_id: str,
    move_to_version_id: str,
) -> Any:
    result = _update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
    secret = self.secrets[secret_id]
    if version_stage == "AWSCURRENT" and move_to_version_id and isinstance(secret, FakeSecret):
        secret.set_default_version_id(move_to_version_id)
    return result


SecretsManagerBackend.update_secret_version_stage = _moving_the_default_too  # type: ignore[method-assign]

if __name__ == "__main__":
    server.main()
