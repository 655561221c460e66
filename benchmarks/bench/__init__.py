"""The two-attempt bench: routes compared on the same simulated tasks, with intervals."""
