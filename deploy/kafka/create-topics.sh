#!/bin/bash
# Create the planwatch topics with their partitions before any service connects.
# Keys are "indicator_id|jurisdiction", so the partition count bounds the evaluator workers
# that can share the load (docs/scaling.md). Idempotent: existing topics are left alone.
set -euo pipefail
BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${PLANWATCH_PARTITIONS:-12}"
KT=/opt/kafka/bin/kafka-topics.sh
for topic in submissions assessments status-changes; do
  $KT --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$topic" \
      --partitions "$PARTITIONS" --replication-factor 1
done
$KT --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic submissions-dlq \
    --partitions 1 --replication-factor 1
$KT --bootstrap-server "$BOOTSTRAP" --list
