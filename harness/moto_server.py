"""moto's server, with one correction where moto contradicts AWS's documented behaviour.

After ``UpdateSecretVersionStage`` moves AWSCURRENT, moto keeps its internal "default version"
on the version AWSCURRENT left. A later ``PutSecretValue`` then demotes that stale version to
AWSPREVIOUS and leaves *two* versions labelled AWSCURRENT. AWS moves AWSCURRENT from whichever
version holds it, and AWSPREVIOUS to that version (Secrets Manager API reference,
``PutSecretValue`` and ``UpdateSecretVersionStage``). Without the correction a rollback that
promotes an earlier version, followed by any new token, would read the wrong token in tests.

One change for speed, with no change of behaviour: moto makes an RSA-2048 private key for every
KMS key it creates, symmetric ones included (0.1-0.3 s of CPU each, and most tests create a
key). That key serves only Sign, Verify and GetPublicKey, so it is now made on first use.

Usage: ``python -m harness.moto_server -H 127.0.0.1 -p <port>`` (the arguments of
``moto.server``).
"""

from __future__ import annotations

from typing import Any

import moto.kms.models
import moto.kms.utils
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

_generate_private_key = moto.kms.utils.generate_private_key  # what moto.kms.models imported


class _PrivateKeyOnFirstUse:
    """Stands for the private key moto would have made, and makes it when first used."""

    def __init__(self, key_spec: str) -> None:
        self._key_spec = key_spec
        self._key: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._key is None:
            self._key = _generate_private_key(self._key_spec)
        return getattr(self._key, name)


setattr(moto.kms.models, "generate_private_key", _PrivateKeyOnFirstUse)  # noqa: B010 - moto imported it by name

if __name__ == "__main__":
    server.main()
