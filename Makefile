# Every target sets up what it needs; on a fresh machine `make demo` and `make test` are enough.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
SAM_VENV := .venv-sam
# checkov pins boto3 1.35, the tests boto3 1.43: the scanner gets a venv of its own.
SCAN_VENV := .venv-scan
# cfn-guard and AWS Control Tower's proactive-control rules, both shipped in this npm package
# (its bin/ holds cfn-guard for Linux and macOS, its rules/control-tower/ the rules); nothing else
# installs either. tests/test_provider_parameters.py runs it over the provider template.
CFN_GUARD_PACKAGE := @cdklabs/cdk-validator-cfnguard@0.0.62
GUARD_DIR := .cfn-guard
PY := $(VENV)/bin/python
# An installed SAM CLI works too: make build SAM=sam (then nothing is installed for it).
SAM ?= $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
BUILD_DIR := .aws-sam/build
# sam build resolves the function's runtime (python3.13) from PATH.
SAM_PATH := $(dir $(PYTHON)):$(PATH)
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv demo test unit lint typecheck cfn-lint scan guard build validate bench check clean deploy delete

help:
	@echo "make demo       the whole custom-resource lifecycle against the local emulator"
	@echo "make test       build, lint the templates and run every test"
	@echo "make check      what CI runs: lint, typecheck, sam validate --lint, scan, test (cfn-guard among them)"
	@echo "make scan       checkov over template.yaml and examples/ (0 failed checks)"
	@echo "make guard      cfn-guard with AWS Control Tower's rules over the provider template"
	@echo "make soak       200 random stack histories (make test runs a few)"
	@echo "make bench      measure calls, cold start, latency, memory, package, scale"
	@echo "make build      sam build (the Lambda artifact in $(BUILD_DIR))"
	@echo "make deploy     sam build, then sam deploy to REGION (an AWS account; samconfig.toml)"
	@echo "make delete     sam delete of the provider's stack in REGION"

$(VENV)/.installed: requirements-dev.txt functions/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

$(SCAN_VENV)/.installed: requirements-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-scan.txt
	touch $@

# --omit=peer: the package's peer aws-cdk-lib serves its CDK plugin, which nothing here uses.
$(GUARD_DIR)/.installed:
	npm install --prefix $(GUARD_DIR) --no-save --no-package-lock --omit=peer --ignore-scripts \
		--no-audit --no-fund $(CFN_GUARD_PACKAGE)
	touch $@

SAM_DEPENDENCY := $(if $(filter $(SAM_VENV)/bin/sam,$(SAM)),$(SAM_VENV)/.installed)

$(BUILD_DIR)/template.yaml: $(SAM_DEPENDENCY) template.yaml functions/Makefile functions/requirements.txt $(shell find functions -name '*.py')
	PATH="$(SAM_PATH)" $(SAM) build --template-file template.yaml --build-dir $(BUILD_DIR)
	touch $@

build: $(BUILD_DIR)/template.yaml

# Needs an AWS account. REGION defaults to the shell's AWS_REGION; the stack name, capabilities
# and the change-set confirmation come from samconfig.toml, named explicitly: SAM looks for it
# beside the template it is given, which is the built one in $(BUILD_DIR).
REGION ?= $(AWS_REGION)
deploy: build
	@test -n "$(REGION)" || { echo "set REGION=<region>"; exit 2; }
	PATH="$(SAM_PATH)" $(SAM) deploy --region $(REGION) --template-file $(BUILD_DIR)/template.yaml \
		--config-file $(CURDIR)/samconfig.toml

delete: $(SAM_DEPENDENCY)
	@test -n "$(REGION)" || { echo "set REGION=<region>"; exit 2; }
	$(SAM) delete --region $(REGION) --stack-name mediatailor-access-token-secret

validate: $(SAM_DEPENDENCY)
	PATH="$(SAM_PATH)" AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --lint --template-file template.yaml

cfn-lint: venv
	$(VENV)/bin/cfn-lint template.yaml examples/*.yaml

# Offline: no download of Prisma Cloud guidelines, no check for a newer checkov. Every skip is
# in the template's Metadata with its reason (docs/security.md, "Scanner findings and decisions").
scan: $(SCAN_VENV)/.installed
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(SCAN_VENV)/bin/checkov --framework cloudformation \
		--skip-download --compact --file template.yaml examples/*.yaml

demo: venv
	PYTHONPATH=functions:. $(PY) -m harness.demo

# Two workers: a test mostly waits on the emulator (another process), so two keep both cores
# busy. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

# CFN_GUARD_REQUIRED: the Control Tower tests fail, rather than skip, if cfn-guard is missing.
test: venv build $(GUARD_DIR)/.installed
	CFN_GUARD_REQUIRED=1 $(PY) -m pytest -n $(TEST_WORKERS)

# The Control Tower tests alone: what each control says of the template, by default and with
# its options (docs/security.md, "Security Hub and Control Tower controls").
guard: venv $(GUARD_DIR)/.installed
	CFN_GUARD_REQUIRED=1 $(PY) -m pytest tests/test_provider_parameters.py -k control_tower -q

unit: venv
	$(PY) -m pytest tests/unit

# Many more random stack histories than `make test` runs (HISTORIES=6), each drawn afresh;
# prints how many ran and how often each rule (stack operation) was drawn.
SOAK_HISTORIES ?= 200
soak: venv
	HISTORIES=$(SOAK_HISTORIES) HISTORY_RANDOM=1 HISTORY_REPORT=.soak-report.txt \
		$(PY) -m pytest tests/integration/test_histories.py -q -p no:cacheprovider
	@cat .soak-report.txt

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

bench: venv build
	PYTHONPATH=functions:. $(PY) scripts/bench.py

check: lint typecheck validate scan test

clean:
	rm -rf $(VENV) $(SAM_VENV) $(SCAN_VENV) $(GUARD_DIR) .aws-sam .pytest_cache .mypy_cache .ruff_cache
