#!/bin/bash
# Runs once when InfluxDB 2 initialises its data volume (docker-entrypoint-initdb.d).
# Maps the InfluxQL database "planwatch" to the bucket, so the InfluxQL queries of the
# dashboards and of docs/timeseries.md work on InfluxDB 2 as on 1.x and 3.x.
set -euo pipefail
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | cut -f1)
influx v1 dbrp create --db "${DOCKER_INFLUXDB_INIT_BUCKET}" --rp autogen \
  --bucket-id "${bucket_id}" --default
