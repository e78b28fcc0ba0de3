#!/usr/bin/env bash
# A local Redis Cluster for the tests and the benchmarks: three masters, no replicas, nothing on
# disk but each node's cluster config. `start` reuses a cluster that is up and formed, else
# (re)creates it; `stop` shuts it down; `nodes` prints the REDIS_CLUSTER_NODES value.
#   REDIS_TEST_CLUSTER_PORTS   the three ports (default "7301 7302 7303")
#   REDIS_TEST_CLUSTER_DIR     where the nodes keep their cluster config
set -euo pipefail
PORTS=(${REDIS_TEST_CLUSTER_PORTS:-7301 7302 7303})
DIR=${REDIS_TEST_CLUSTER_DIR:-/tmp/sciatrack-redis-cluster}

nodes() {
  local list=()
  for p in "${PORTS[@]}"; do list+=("redis://127.0.0.1:$p"); done
  (IFS=,; echo "${list[*]}")
}

formed() {
  for p in "${PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

stop() {
  for p in "${PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$p" shutdown nosave >/dev/null 2>&1 || true
  done
  for p in "${PORTS[@]}"; do
    for _ in $(seq 1 50); do
      redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 || break
      sleep 0.1
    done
  done
  rm -rf "$DIR"
}

start() {
  if formed; then return 0; fi
  stop
  mkdir -p "$DIR"
  for p in "${PORTS[@]}"; do
    redis-server --port "$p" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file "nodes-$p.conf" --cluster-node-timeout 5000 \
      --dir "$DIR" --logfile "$DIR/redis-$p.log" --pidfile "$DIR/redis-$p.pid"
  done
  for p in "${PORTS[@]}"; do
    for _ in $(seq 1 50); do
      redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
  local hosts=()
  for p in "${PORTS[@]}"; do hosts+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 ||
    { cat "$DIR/create.log" >&2; exit 1; }
  for _ in $(seq 1 100); do
    formed && return 0
    sleep 0.1
  done
  echo "the Redis Cluster on ports ${PORTS[*]} did not form; see $DIR" >&2
  exit 1
}

case "${1:-start}" in
  start) start; nodes ;;
  stop) stop ;;
  nodes) nodes ;;
  status) formed && echo "formed: $(nodes)" || { echo "not formed"; exit 1; } ;;
  *) echo "usage: $0 start|stop|status|nodes" >&2; exit 2 ;;
esac
