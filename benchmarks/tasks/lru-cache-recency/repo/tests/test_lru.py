import pytest

from lru import LRUCache


def test_evicts_the_oldest_entry() -> None:
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert "a" not in cache and len(cache) == 2


def test_reading_a_key_makes_it_recent() -> None:
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert "a" in cache and "b" not in cache


def test_updating_a_key_makes_it_recent() -> None:
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert cache.get("a") == 10 and "b" not in cache


def test_missing_key_gives_the_default() -> None:
    assert LRUCache(1).get("nope", "default") == "default"


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LRUCache(0)
