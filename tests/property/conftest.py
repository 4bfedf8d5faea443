from tests.integration.conftest import aws, cloud, fresh_emulator, invoke, kms_key, proxy_calls, stack

__all__ = ["aws", "cloud", "fresh_emulator", "invoke", "kms_key", "proxy_calls", "stack"]
