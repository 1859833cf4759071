#!/usr/bin/env bash
# The tests and `hub up` run Apache Kafka from jars fetched once with Maven (infra/kafka/pom.xml).
# Fetches them now when a JDK 17+ and Maven are here (installs both with apt-get when root and
# missing); otherwise says that the Tansu fallback broker will be used.
set -u
PY=${1:-.venv/bin/python}
have_java() { "$PY" -c 'import sys; from hubkit.runtime.apache_kafka import find_java; sys.exit(0 if find_java() else 1)'; }
if [ "${HUB_BROKER:-}" = "tansu" ]; then
  exit 0
fi
if ! have_java || ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing a JDK and Maven for the Apache Kafka broker…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null) \
      || echo "warning: could not install a JDK and Maven" >&2
  fi
fi
if have_java && command -v mvn >/dev/null 2>&1; then
  "$PY" -c 'from hubkit.runtime.apache_kafka import ensure_jars; print("Apache Kafka jars:", ensure_jars())' \
    || { echo "error: could not fetch Apache Kafka with Maven" >&2; exit 1; }
else
  echo "note: no JDK 17+ and Maven here: tests and hub up use the Tansu broker (memory storage)" >&2
fi
exit 0
