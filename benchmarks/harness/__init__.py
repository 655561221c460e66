"""The task benchmark: real repository tasks through real Codex, judged by test oracles.

`tasks` loads task folders, `codex_runner` runs `codex exec --json`, `records` reads one
run's share of the proxy's routing log, `oracle` judges the workspace, `results` holds
one run's line, `analysis` and `render` turn results into the report.
"""
