"""Hand-written OpenAPI 3.0.3 documents of the four sandbox APIs, one module each."""
