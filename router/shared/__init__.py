"""State that several proxy instances share: the room behind a team gateway.

It owns the storage seam (`SharedState`) and its two implementations: `LocalState`, one
process's memory (the default, today's behaviour), and `RedisState`, one Redis shared by
every instance, which serves from a local mirror while Redis is away and catches up when
it returns. It also owns what is stored through the seam and means the same on every
instance: client spend per budget period (`budgets`).

It stores plain bytes, deadlines and counters under names its callers choose; what those
mean for routing lives with the router (`router.routing.auto.shared_router`). It may
import `router.settings` and `router.telemetry.logs`, and nothing else of `router`;
nothing in `adapters/` knows it exists.
"""
