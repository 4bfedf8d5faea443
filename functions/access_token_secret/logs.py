"""The provider's one structured logger, and the levels of everyone else's.

botocore logs request bodies (SecretString included) at DEBUG and crhelper logs the whole event
at DEBUG, so both are pinned at WARNING/INFO here whatever ``LOG_LEVEL`` says; Powertools'
own level follows ``POWERTOOLS_LOG_LEVEL``/``LOG_LEVEL`` (default INFO).
"""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools.logging import Logger

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "mediatailor-access-token-secret")

logger = Logger(service=SERVICE_NAME)

for _name, _level in (
    ("botocore", logging.WARNING),
    ("boto3", logging.WARNING),
    ("urllib3", logging.WARNING),
    ("crhelper", logging.INFO),
):
    logging.getLogger(_name).setLevel(_level)
