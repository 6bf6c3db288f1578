"""Benchmarks of the app: webhook ingest, bexio calls per order, backfill at the rate limit,
footprint. Each is `python -m bench.<name>`; docs/benchmarks.md says what each measures."""
