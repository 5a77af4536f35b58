"""Alembic migrations of the alert store (run by ``planwatch_alerts.store.make_engine``)."""
