"""Benchmarks for adaptgen; run them all with `bench/run`."""
