"""Adapters of the ingest ports, named by technology."""
