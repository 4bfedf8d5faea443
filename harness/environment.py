"""One call that brings up everything the provider talks to, on loopback only: moto, the
recording fault proxy in front of it, and the HTTPS response listener; and points the
provider's environment at them (before the handler module is imported)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .account import REGION
from .certs import make_tls_files
from .emulator import Emulator
from .faults import FaultProxy
from .listener import ResponseListener

LISTENER_HOST = "127.0.0.1"


@dataclass
class LocalAws:
    emulator: Emulator
    proxy: FaultProxy
    listener: ResponseListener

    def stop(self) -> None:
        self.listener.stop()
        self.proxy.stop()
        self.emulator.stop()


def provider_environment(endpoint_url: str, ca_file: Path) -> dict[str, str]:
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": endpoint_url,
        "SSL_CERT_FILE": str(ca_file),
        "SECRET_NAME_PREFIX": "mediatailor/",
        "POWERTOOLS_SERVICE_NAME": "mediatailor-access-token-secret",
        # The response listener plays CloudFormation's response bucket on loopback; only this
        # variable lets the provider answer there (template.yaml never sets it).
        "RESPONSE_URL_ALLOWED_HOSTS": LISTENER_HOST,
    }


def start_local_aws(workdir: Path | None = None) -> LocalAws:
    workdir = workdir or Path(tempfile.mkdtemp(prefix="access-token-secret-"))
    tls = make_tls_files(workdir / "tls")
    emulator = Emulator(workdir / "moto").start()
    proxy = FaultProxy(emulator.port).start()
    listener = ResponseListener(tls).start()
    os.environ.update(provider_environment(proxy.url, tls.ca_file))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    return LocalAws(emulator, proxy, listener)
