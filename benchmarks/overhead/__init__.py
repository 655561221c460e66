"""The proxy's overhead against the same mock upstream called directly, in one run.

`python -m benchmarks.overhead.run` (or `make bench-overhead`); see README.md here.
"""
