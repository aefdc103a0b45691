# The gateway's image: dependencies at the versions the test suite passed with
# (constraints.txt), built in one stage and copied into a slim one without pip or npm.
#   docker build -t customer-graph .                      (add --build-arg EXTRAS=otel for tracing)
#   docker run -v ./gateway.toml:/etc/customer-graph/gateway.toml:ro -p 8000:8000 customer-graph
# docs/deployment.md has the compose stack, the Kubernetes manifests and the Helm chart.

FROM node:20-bookworm-slim AS node

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# npm, for GraphiQL's files only (`customer-graph graphiql-assets` runs `npm pack`); it stays
# in this stage.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
RUN python -m venv /opt/customer-graph
ENV PATH=/opt/customer-graph/bin:$PATH
WORKDIR /src
# Optional extras, e.g. --build-arg EXTRAS=otel for tracing (docs/operations.md).
ARG EXTRAS=""
COPY constraints.txt pyproject.toml README.md ./
COPY core core
COPY schema schema
COPY resolvers resolvers
COPY datasources datasources
COPY auth auth
COPY gateway gateway
COPY sandbox sandbox
# A wheel, not an editable install: the runtime stage gets no source tree to point back to.
# GraphiQL's pinned, integrity-checked files go into the installed package (4 MB). pip and
# setuptools go: nothing is installed at run time (121 MB of venv is left).
RUN pip install -c constraints.txt ".${EXTRAS:+[$EXTRAS]}" \
    && customer-graph graphiql-assets \
    && python -m pip uninstall --yes setuptools pip

FROM python:3.11-slim-bookworm
# A fixed uid, so Kubernetes' runAsNonRoot can check it without a name lookup.
RUN groupadd --system --gid 10001 customer-graph \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin customer-graph
COPY --from=build /opt/customer-graph /opt/customer-graph
ENV PATH=/opt/customer-graph/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CG_CONFIG=/etc/customer-graph/gateway.toml
USER 10001:10001
EXPOSE 8000
# Liveness only: readiness (/readyz) is for the load balancer, which checks it itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# The exec form: the gateway is PID 1 and gets SIGTERM itself, so it drains before it stops.
# Host and port are the image's contract (EXPOSE, HEALTHCHECK); the config file says the rest.
CMD ["customer-graph", "serve", "--host", "0.0.0.0", "--port", "8000"]
