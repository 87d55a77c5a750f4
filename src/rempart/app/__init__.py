"""The use cases: one module each, the only layer the CLI and the web console call.

`session` opens a workspace's store and hospital model once; `incidents_store` is the one
place incidents are saved and found (the case store). Use cases: `ingest`, `detect`,
`alerts`, `incident`, `plan` (with `respond`), `triage`, `email` (mail scoring in batch,
campaigns, purge), `report`, `demo`, `replay`, `devices`, `twin`, `init`. They return typed
values; rendering is the caller's.
"""

# The use cases are imported by module (`from rempart.app.alerts import alerts`): importing
# the package loads none of them, so a command's start-up pays only for what it uses.
__all__: list[str] = []
