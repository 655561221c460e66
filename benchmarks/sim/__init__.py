"""Offline mode: mock models of graded skill that Codex drives through the real proxy.

Each mock model either applies the task's reference solution or a wrong edit, through
real tool calls that Codex executes; which one is drawn (seeded) from a hidden
difficulty model the router cannot see. The classifier is a judge that estimates each
model's hidden chance with noise and overrates the cheap ones (setup.judge); the router
sees only its scores. The task's oracle, not the mock, judges the outcome.
"""
