#!/usr/bin/env bash
# The compose broker: one KRaft node, clients authenticate with SASL/SCRAM (one principal per service),
# ACLs enforced (the `topics` one-shot creates them as `admin`). Passwords come from the environment.
set -euo pipefail
: "${KAFKA_ADMIN_PASSWORD:?}" "${KAFKA_CATALOG_PASSWORD:?}" "${KAFKA_EXCHANGE_PASSWORD:?}"
: "${KAFKA_ELICENSE_PASSWORD:?}" "${KAFKA_SCORING_PASSWORD:?}"
CONFIG=/tmp/server.properties
cat > "$CONFIG" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=SASL_PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=SASL_PLAINTEXT://kafka:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}" user_admin="${KAFKA_ADMIN_PASSWORD}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
log.dirs=/var/lib/kafka/data
num.partitions=6
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPERTIES
cat > /tmp/admin.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
PROPERTIES
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  /opt/kafka/bin/kafka-storage.sh format --cluster-id="${KAFKA_CLUSTER_ID:-$(/opt/kafka/bin/kafka-storage.sh random-uuid)}" \
    -c "$CONFIG" \
    --add-scram "SCRAM-SHA-256=[name=admin,password=${KAFKA_ADMIN_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=catalog,password=${KAFKA_CATALOG_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=exchange,password=${KAFKA_EXCHANGE_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=elicense,password=${KAFKA_ELICENSE_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=scoring,password=${KAFKA_SCORING_PASSWORD}]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
