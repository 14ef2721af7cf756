"""The home page's 待办事项: one item type for every domain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToDo:
    """What awaits the user and where to do it. `url` comes from reverse(), never a hand-written path."""

    text: str
    url: str
