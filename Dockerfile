FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schema schema
COPY resolvers resolvers
COPY datasources datasources
COPY auth auth
COPY gateway gateway
COPY sandbox sandbox
# Optional extras, e.g. --build-arg EXTRAS=otel for tracing (docs/operations.md).
ARG EXTRAS=""
RUN pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}"
EXPOSE 8000 8100
CMD ["customer-graph", "serve", "--host", "0.0.0.0"]
