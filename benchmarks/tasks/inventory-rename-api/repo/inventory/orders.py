"""Placing orders against the store."""

from inventory.store import OutOfStock, Store


def can_fulfil(store: Store, lines: dict[str, int]) -> bool:
    return all(store.get_qty(sku) >= count for sku, count in lines.items())


def place_order(store: Store, lines: dict[str, int]) -> None:
    """Take every line from stock, or nothing when one line cannot be met."""
    if not can_fulfil(store, lines):
        missing = [sku for sku, count in lines.items() if store.get_qty(sku) < count]
        raise OutOfStock(", ".join(missing))
    for sku, count in lines.items():
        store.take(sku, count)
