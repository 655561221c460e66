"""Benchmarks: the proxy's overhead, the Auto decision cost, and the task harness."""
