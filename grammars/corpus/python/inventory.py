"""Inventory management for the warehouse service."""

from __future__ import annotations

import dataclasses
import functools
from typing import Iterator

MAX_ITEMS = 500
_DEFAULT_LOCATION = "A1"
logger = None
width, height = 80, 24
type SkuList = list[str]


def log_calls(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


@dataclasses.dataclass(frozen=True)
class Item:
    """One stock-keeping unit."""

    sku: str
    quantity: int = 0
    location: str = _DEFAULT_LOCATION

    def is_empty(self) -> bool:
        return self.quantity == 0


class Inventory:
    RESTOCK_THRESHOLD = 10

    def __init__(self, items: list[Item] | None = None) -> None:
        self._items = {item.sku: item for item in items or []}
        count = len(self._items)
        self.count = count

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items.values())

    @property
    def total(self) -> int:
        return sum(item.quantity for item in self)

    @staticmethod
    def parse_sku(raw: str) -> str:
        return raw.strip().upper()

    @log_calls
    def restock(self, sku: str, amount: int) -> Item:
        current = self._items[sku]
        updated = dataclasses.replace(current, quantity=current.quantity + amount)
        self._items[sku] = updated
        return updated

    class Error(Exception):
        def __init__(self, sku):
            super().__init__(f"unknown sku {sku}")


async def sync_remote(inventory: Inventory) -> int:
    BATCH = 50
    sent = 0
    for item in inventory:
        sent += 1
    return sent


def main() -> None:
    inventory = Inventory([Item("a", 1), Item("b", 0)])
    print(inventory.total)


if __name__ == "__main__":
    main()
