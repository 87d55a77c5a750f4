"""The use cases: one module each, the only layer the CLI and the web console call."""
