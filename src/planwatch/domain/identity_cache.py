"""A value made once per object and kept while the object lives: a cache by identity.

For immutable objects that are costly to hash or compare (catalog entries: pydantic models with
tuples of targets) but few and long-lived. The cache holds each object beside its value, so an
id cannot be reused by another object while its entry is there; it is emptied when full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["IdentityCache"]

K = TypeVar("K")
V = TypeVar("V")


class IdentityCache(Generic[K, V]):
    def __init__(self, make: Callable[[K], V], maxsize: int = 8192) -> None:
        self._make, self._maxsize = make, maxsize
        self._found: dict[int, tuple[K, V]] = {}

    def __call__(self, obj: K) -> V:
        hit = self._found.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = self._make(obj)
        if len(self._found) >= self._maxsize:
            self._found.clear()
        self._found[id(obj)] = (obj, value)
        return value
