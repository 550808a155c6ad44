"""Test tooling kept out of the shipped package: counting AWS calls, the fault proxy, AWS's
throttling per account, reading a metrics endpoint, the import graph of awsip.

The tests and the benchmarks (which put the repository root on ``sys.path``) import it.
"""
