FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schema schema
COPY resolvers resolvers
COPY datasources datasources
COPY auth auth
COPY gateway gateway
COPY sandbox sandbox
RUN pip install --no-cache-dir .
EXPOSE 8000 8100
CMD ["customer-graph", "serve", "--host", "0.0.0.0"]
