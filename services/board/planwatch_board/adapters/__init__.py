"""Readers of the time series, named by technology."""
