"""API keys of the statistics bureaus and agencies, shared by the ingest and alerts services."""

from planwatch.security.keys import ALL_JURISDICTIONS, KeyRecord, KeyStore, Principal, Role

__all__ = ["ALL_JURISDICTIONS", "KeyRecord", "KeyStore", "Principal", "Role"]
