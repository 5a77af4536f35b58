"""The embedded default: the whole pipeline on one machine without Docker (planwatch run)."""
