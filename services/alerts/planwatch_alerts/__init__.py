"""planwatch."""
