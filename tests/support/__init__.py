"""Test tooling kept out of the shipped package: counting AWS calls, reading a metrics endpoint.

The tests and the benchmarks (which put the repository root on ``sys.path``) import it.
"""
