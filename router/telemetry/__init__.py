"""What happened: structured logs, the routing log, the usage ledger, request snapshots.

May import `router.settings` only; everything above records through it.
"""
