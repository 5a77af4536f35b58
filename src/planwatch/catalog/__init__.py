"""The plan catalog: data files plus the loader that validates them into typed models."""

from planwatch.catalog.loader import (
    Catalog,
    CatalogError,
    NotATarget,
    default_catalog,
    load_catalog,
    seed_text,
)

__all__ = ["Catalog", "CatalogError", "NotATarget", "default_catalog", "load_catalog", "seed_text"]
