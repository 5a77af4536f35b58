"""Grafana dashboards as code: built here, committed as provisioning JSON under deploy/."""
