"""Learning from outcomes: the outcome store, the signals of a failed task, calibration.

Owns what Auto remembers of its tasks (no prompt text), how a task's outcome becomes
known (a test oracle, the user's verdict, weaker implicit signs) and the calibrated map
from the classifier's raw scores to observed success. May import `router.telemetry` and
`router.settings`; `router.routing.auto` applies what it learns.
"""
