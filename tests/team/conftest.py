from tests.codex.conftest import backend, codex_home  # noqa: F401  (re-exported as fixtures)
from tests.team.redis_server import redis_server  # noqa: F401  (re-exported as a fixture)
