"""Test and demo harness: plays AWS (moto on loopback), S3's pre-signed response bucket (an
HTTPS listener) and CloudFormation (a lifecycle driver). Never shipped in the Lambda artifact."""
