#!/usr/bin/env bash
# Create the planwatch topics with their partitions and replication before any service connects
# (compose's kafka-init, in the kafka image). Keys are "indicator_id|jurisdiction", so the
# partition count bounds the evaluator workers that can share the load (docs/scaling.md).
# min.insync.replicas comes from the broker (KAFKA_MIN_ISR). Existing topics are left alone.
#
#   KAFKA_BOOTSTRAP        the broker (kafka:9092)
#   PLANWATCH_PARTITIONS   partitions of submissions, assessments and status-changes (12)
#   PLANWATCH_REPLICATION  replication factor of every topic (1; 3 on a three-broker cluster)
set -euo pipefail
BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${PLANWATCH_PARTITIONS:-12}"
REPLICATION="${PLANWATCH_REPLICATION:-1}"
topics() {
  java "-Dlog4j2.configurationFile=$(dirname "$0")/log4j2.properties" -cp "${KAFKA_LIBS:-/opt/kafka/libs}/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BOOTSTRAP" "$@"
}
for topic in submissions assessments status-changes; do
  topics --create --if-not-exists --topic "$topic" \
    --partitions "$PARTITIONS" --replication-factor "$REPLICATION"
done
topics --create --if-not-exists --topic submissions-dlq --partitions 1 \
  --replication-factor "$REPLICATION"
topics --describe --topic submissions
