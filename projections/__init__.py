"""Read models built from the event log: one module per projection, each exposing `projection`."""

from __future__ import annotations

import importlib
import pkgutil

from leadstore.projection.base import Projection


def all_projections() -> list[Projection]:
    """Every projection defined in this package, in module-name order."""
    found: list[Projection] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        projection = getattr(module, "projection", None)
        if projection is not None:
            found.append(projection)
    return found


def get_projection(name: str) -> Projection:
    """The projection called `name`; KeyError naming the known ones otherwise."""
    by_name = {p.name: p for p in all_projections()}
    if name not in by_name:
        raise KeyError(f"no projection {name!r}; known: {', '.join(sorted(by_name))}")
    return by_name[name]
