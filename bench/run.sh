#!/usr/bin/env bash
# Runs every benchmark, each beside its baseline measured in the same run:
#   conductor  — put→running and 0→50 vs raw dockerode and Docker Swarm mode, RSS
#   ambassador — proxy vs direct and HAProxy, DNS vs dnsmasq, RSS with 1,000 records
#   builder    — status API requests/s and p99 over 100 apps; manifest saved in the console →
#                instance shown running (headless Chromium) vs API PUT → running in etcd
#   cluster    — dokkaacfg up --scale=3 and host-crash failover vs Docker Swarm mode (~5 min)
#   rollout    — update of 3 instances under 200 requests/s: failed requests and rollout wall
#                time vs Docker Swarm mode, on one namespace host's engine (~20-30 min)
#   tls        — put→running and link-proxy throughput with etcd TLS + client certificates + RBAC
#                vs plain http etcd, two clusters side by side, interleaved, 3 rounds (~4-5 min)
# Usage: bash bench/run.sh [conductor|ambassador|builder|cluster|rollout|tls ...]   (default: all; as root)
# Installs the peers it needs (haproxy, dnsperf, dnsmasq-base), starts the test bed's
# services if they are not running, builds, and prints Markdown tables.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}

benches=("$@")
((${#benches[@]})) || benches=(conductor ambassador builder cluster rollout tls)

missing=()
for p in haproxy dnsperf dnsmasq-base; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing benchmark peers: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash test/bed/start-services.sh
bash test/bed/make-images.sh >/dev/null
npm run --silent build

for b in "${benches[@]}"; do
  echo
  echo "## $b"
  case $b in
    conductor) node dist/bench/conductor-bench.js ;;
    ambassador) node --import tsx bench/ambassador-bench.ts ;;
    builder) node --import tsx bench/builder-bench.ts && node --import tsx bench/builder-console-bench.ts ;;
    cluster) node --import tsx bench/cluster-bench.ts ;;
    rollout) node --import tsx bench/rollout-bench.ts ;;
    tls) node --import tsx bench/tls-bench.ts ;;
    *) echo "unknown benchmark $b (conductor, ambassador, builder, cluster, rollout, tls)" >&2; exit 2 ;;
  esac
done
