"""The use cases: one module each, the only layer the CLI and the web console call.

`session` opens a workspace's store and hospital model once; `incidents_store` is the one
place incidents are saved and found (the case store). Use cases: `ingest`, `detect`,
`alerts`, `incident`, `plan` (with `respond`), `triage`, `email` (mail scoring in batch,
campaigns, purge), `report`, `demo`, `replay`, `devices`, `twin`, `init`. They return typed
values; rendering is the caller's.
"""
