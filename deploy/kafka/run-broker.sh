#!/usr/bin/env bash
# Start one Apache Kafka node (broker + KRaft controller) from the jars that deploy/kafka/pom.xml
# names, with server.properties.template filled from the environment. Used by `make run`, the
# tests and `make bench` (through planwatch.stack.broker) and by the compose image.
#
#   KAFKA_LIBS         folder of the broker's jars (required)
#   KAFKA_DATA         data folder: the log (DATA/log) and the filled server.properties (required)
#   KAFKA_NODE_ID      this node's id (1)
#   KAFKA_HOST         address to listen on (127.0.0.1; 0.0.0.0 in a container)
#   KAFKA_ADVERTISED_HOST  address clients are told (KAFKA_HOST)
#   KAFKA_PORT / KAFKA_CONTROLLER_PORT  client and controller ports (9092 / 9093)
#   KAFKA_VOTERS       the controller quorum, id@host:port,… (this node alone)
#   KAFKA_CLUSTER_ID   the cluster id, the same on every node (a fixed default for one node)
#   KAFKA_REPLICATION / KAFKA_MIN_ISR   replication factor and min.insync.replicas (1 / 1)
#   KAFKA_PARTITIONS, KAFKA_OFFSETS_PARTITIONS, KAFKA_RETENTION_HOURS (4, 50, 720)
#   KAFKA_HEAP         JVM heap (512m)
# The log is formatted once, on the first start; later starts keep everything on it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${KAFKA_LIBS:?KAFKA_LIBS must name the folder of the broker jars}"
: "${KAFKA_DATA:?KAFKA_DATA must name the broker data folder}"
export KAFKA_NODE_ID="${KAFKA_NODE_ID:-1}"
export KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
export KAFKA_ADVERTISED_HOST="${KAFKA_ADVERTISED_HOST:-$KAFKA_HOST}"
export KAFKA_PORT="${KAFKA_PORT:-9092}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
export KAFKA_VOTERS="${KAFKA_VOTERS:-${KAFKA_NODE_ID}@${KAFKA_ADVERTISED_HOST}:${KAFKA_CONTROLLER_PORT}}"
export KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-cGxhbndhdGNoLWthZmthMQ}"
export KAFKA_REPLICATION="${KAFKA_REPLICATION:-1}"
export KAFKA_MIN_ISR="${KAFKA_MIN_ISR:-1}"
export KAFKA_PARTITIONS="${KAFKA_PARTITIONS:-4}"
export KAFKA_OFFSETS_PARTITIONS="${KAFKA_OFFSETS_PARTITIONS:-50}"
export KAFKA_RETENTION_HOURS="${KAFKA_RETENTION_HOURS:-720}"
export KAFKA_DATA
heap="${KAFKA_HEAP:-512m}"

mkdir -p "$KAFKA_DATA/log"
conf="$KAFKA_DATA/server.properties"
vars=(KAFKA_NODE_ID KAFKA_VOTERS KAFKA_HOST KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_ADVERTISED_HOST
  KAFKA_DATA KAFKA_RETENTION_HOURS KAFKA_PARTITIONS KAFKA_REPLICATION KAFKA_MIN_ISR
  KAFKA_OFFSETS_PARTITIONS)
script=()
for v in "${vars[@]}"; do
  value="${!v//\\/\\\\}"
  script+=(-e "s|\${$v}|${value//|/\\|}|g")
done
sed "${script[@]}" "$here/server.properties.template" >"$conf.tmp"
if grep -v '^#' "$conf.tmp" | grep -q '\${'; then
  echo "run-broker.sh: unfilled value in $conf.tmp: $(grep '\${' "$conf.tmp" | head -1)" >&2
  exit 2
fi
mv "$conf.tmp" "$conf"

jvm=(-Xms128m "-Xmx$heap" -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$here/log4j2.properties")
if [ ! -f "$KAFKA_DATA/log/meta.properties" ]; then
  java "${jvm[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
    -t "$KAFKA_CLUSTER_ID" -c "$conf" --ignore-formatted
fi
exec java "${jvm[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$conf"
