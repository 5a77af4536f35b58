#!/usr/bin/env bash
# Install the Debian servers that integration tests run against (InfluxDB 1.x for InfluxQL,
# VictoriaMetrics for the InfluxDB v2 write API, Chromium for the board, answer-link and portal
# browser tests, poppler-utils to turn a generated report PDF into pages and text, axe-core from
# npm for the portal's accessibility check) and what the Apache Kafka broker needs (Java 17 and
# Maven, which fetches its jars from Maven Central).
# Without root or apt, tests that need the Debian servers skip; Kafka's absence is an error.
set -euo pipefail
want=(influxdb victoria-metrics chromium chromium-driver docker-compose fonts-noto-cjk poppler-utils
  libpangoft2-1.0-0 openjdk-17-jre-headless maven postgresql)
missing=()
command -v influxd >/dev/null || missing+=(influxdb)
command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || missing+=(victoria-metrics)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
# Pango, which WeasyPrint lays out the report PDF with
ldconfig -p | grep -q libpangoft2-1.0 || missing+=(libpangoft2-1.0-0)
# PostgreSQL 15 for the ledger and alert store tests (they start their own cluster)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# CJK glyphs for the board screenshots in headless Chromium
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
# axe-core (Deque, from npm) checks the portal's pages for accessibility in the browser test
if command -v npm >/dev/null && [ ! -f "$(npm root -g)/axe-core/axe.min.js" ]; then
  if [ "$(id -u)" = 0 ]; then
    npm install -g --silent axe-core@4 >/dev/null && echo "installed: axe-core (npm)"
  else
    echo "cannot install axe-core (needs root for npm -g); the portal's accessibility check will skip"
  fi
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "test servers present: ${want[*]}"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "cannot install ${missing[*]} (needs root and apt); the tests that need them will skip"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts services on install; the tests start their own on loopback ports.
for svc in influxdb victoria-metrics postgresql; do
  (systemctl stop "$svc" 2>/dev/null || service "$svc" stop 2>/dev/null || true) >/dev/null
done
echo "installed: ${missing[*]}"
