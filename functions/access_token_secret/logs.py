"""The provider's logger and metrics, and everyone else's log levels: botocore logs request bodies
(SecretString included) and crhelper the whole event at DEBUG, so they stay at WARNING/INFO whatever
``LOG_LEVEL`` says; Powertools follows ``POWERTOOLS_LOG_LEVEL``/``LOG_LEVEL`` (default INFO)."""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "mediatailor-access-token-secret")
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "MediaTailorAccessTokenSecret")

logger = Logger(service=SERVICE_NAME)
# Embedded Metric Format on stdout: CloudWatch turns these log lines into metrics, no API call.
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


def count_outcome(request_type: str, status: str) -> None:
    """One ``SUCCESS``/``FAILED`` count per request, by request type (no other dimension: cheap)."""
    metrics.add_dimension(name="RequestType", value=request_type or "Unknown")
    metrics.add_metric(name="Succeeded" if status == "SUCCESS" else "Failed", unit=MetricUnit.Count, value=1)


for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)
logging.getLogger("crhelper").setLevel(logging.INFO)
