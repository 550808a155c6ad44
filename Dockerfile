# syntax=docker/dockerfile:1
# The awsip operator image: `awsip run` as a non-root user, no shell needed at run time.
#
#   docker build -t awsip:dev .
#
# The base is pinned to an exact Python release and Debian suite. For reproducible release
# builds, pin it by digest as well:
#   docker build --build-arg PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:<digest> .
# (`docker buildx imagetools inspect python:3.11.11-slim-bookworm` prints the digest.)
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- build: a wheel of awsip, installed with its pinned dependencies into a virtualenv ---------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/constraints.txt requirements/constraints.txt
COPY operator/ operator/
RUN python -m pip wheel --no-deps --wheel-dir /dist . \
 && python -m venv /opt/awsip \
 && /opt/awsip/bin/pip install --constraint requirements/constraints.txt /dist/awsip-*.whl \
 && /opt/awsip/bin/pip uninstall --yes pip \
 && /opt/awsip/bin/python -m compileall -q /opt/awsip/lib \
 && /opt/awsip/bin/awsip --version

# --- runtime ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="awsip" \
      org.opencontainers.image.description="Verifies AWS infrastructure-provider IAM roles for Cluster API Provider AWS" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/awsip /opt/awsip
ENV PATH=/opt/awsip/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
# 65532: the conventional "nonroot" uid/gid; numeric so that runAsNonRoot can verify it.
USER 65532:65532
# 8080: Kopf's liveness endpoint (--liveness), 9090: Prometheus metrics (--metrics-port).
EXPOSE 8080 9090
ENTRYPOINT ["/opt/awsip/bin/awsip", "run"]
CMD ["--all-namespaces", "--standalone", "--liveness=http://0.0.0.0:8080/healthz"]
