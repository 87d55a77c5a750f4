"""Network detectors: scans (TRW), lateral spread, spread tree, zone policy, medical devices.

Each is written once as SQL carried by Ibis, so it runs on the store's DuckDB or on Spark;
the `detect_*` functions take an `Engine`, the detector classes wrap them for the store.
"""
