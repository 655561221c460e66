"""The stock report printed every evening."""

from inventory.store import Store

LOW = 3


def stock_report(store: Store) -> list[str]:
    lines = []
    for sku in store.skus():
        count = store.get_qty(sku)
        flag = "  LOW" if count < LOW else ""
        lines.append(f"{sku}: {count}{flag}")
    return lines
