"""Benchmarks (not tests): `python -m bench [ingest|fanout|fold|all] [--quick]`.

Each benchmark prints its figures side by side with a baseline measured in the same
run, on the same machine, so what it reports are ratios, not absolute times.
"""
