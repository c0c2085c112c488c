"""Benchmarks and data generators; not part of the product or of the test run."""
