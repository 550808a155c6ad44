# awsip developer entry points. Every target installs what it needs into ./.venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: sandbox test lint typecheck unit crd bench tools kube-tools clean e2e-kind

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c requirements/constraints.txt -e '.[test]'
	touch $(STAMP)

## sandbox: run the operator end to end on an embedded AWS + Kubernetes emulator (exits by itself)
sandbox: $(STAMP)
	$(VENV)/bin/awsip sandbox $(ARGS)

## test: lint, type-check and run the whole test suite (the real-Kubernetes tier needs kube-tools)
test: $(STAMP) tools kube-tools
	$(VENV)/bin/ruff check operator tests benchmarks
	$(VENV)/bin/ruff format --check operator tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q

## tools: fetch helper binaries (helm) used by the chart tests
tools: $(STAMP)
	bash scripts/fetch-tools.sh .tools

## kube-tools: build kube-apiserver, etcd and the kstatus / Argo CD health helpers from Go modules
## into .tools/kube for tests/kubernetes_real (needs Go; skipped when the stamp is current)
kube-tools:
	bash scripts/build-kube-tools.sh .tools

## crd: regenerate the committed CRD files from the API types (crds/, the chart, deploy/)
crd: $(STAMP) tools
	$(VENV)/bin/awsip crd > crds/awsinfrastructureproviders.infrastructure.awsip.io.yaml
	cp crds/awsinfrastructureproviders.infrastructure.awsip.io.yaml charts/awsip/crds/
	$(PY) scripts/render-deploy.py

## e2e-kind: install the chart on a local kind cluster and verify an example provider (needs Docker
## and kind; CI cannot run it). See scripts/e2e-kind.sh for the AWS settings it reads.
e2e-kind: tools
	bash scripts/e2e-kind.sh

## bench: print the benchmark figures (policy engine; end-to-end latency; 1,000 providers at scale,
## measured against the emulators' floor: a few minutes)
bench: $(STAMP)
	$(PY) benchmarks/policy_engine.py
	$(PY) benchmarks/e2e.py
	$(PY) benchmarks/scale.py --floor
	$(PY) benchmarks/scale.py
	$(PY) benchmarks/scale.py --versus-floor --accounts 100

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
