"""Values of a form that another module supplies (aggregation: supplied).

A module registers a function under the name a form file uses as `supplier`;
until one is registered, the field is entered by hand.
"""

from collections.abc import Callable

_SUPPLIERS: dict[str, Callable] = {}


def register(name: str):
    def decorator(fn: Callable):
        _SUPPLIERS[name] = fn
        return fn

    return decorator


def supply(name: str, unit, year: int) -> int | None:
    fn = _SUPPLIERS.get(name)
    return fn(unit, year) if fn else None


def is_registered(name: str) -> bool:
    return name in _SUPPLIERS
