"""Console page module 'questions' (being written in this change)."""
from __future__ import annotations

from starlette.routing import Route

from .web import Console


def routes(console: Console) -> list[Route]:
    return []
