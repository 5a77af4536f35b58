"""Sinks named by technology: InfluxDB 2 (v2 write API) and the embedded SQLite store."""
