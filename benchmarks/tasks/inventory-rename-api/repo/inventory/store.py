"""How many of each item the shop has."""


class OutOfStock(Exception):
    pass


class Store:
    def __init__(self, stock: dict[str, int] | None = None) -> None:
        self._stock = dict(stock or {})

    def get_qty(self, sku: str) -> int:
        """How many units of `sku` are in stock (0 for an unknown item)."""
        return self._stock.get(sku, 0)

    def take(self, sku: str, count: int) -> None:
        if self.get_qty(sku) < count:
            raise OutOfStock(sku)
        self._stock[sku] -= count

    def skus(self) -> list[str]:
        return sorted(self._stock)
