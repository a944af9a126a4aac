#!/usr/bin/env bash
# Start-up time of the proxy with each codec and filter module: from process start to the admin
# endpoint's /ready answering 200 (every listener bound, every event loop's instance created).
# Usage: bash bench/startup.sh [--runs N] [--workers W]
# Env: PROTEAN_JAR (default proxy/target/protean.jar), PORT_BASE (default 29980).
# Loopback only; every proxy it starts is ended.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=3 WORKERS=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    *) sed -n '2,6p' "$0" >&2; exit 2 ;;
  esac
done
JAR=${PROTEAN_JAR:-$ROOT/proxy/target/protean.jar}
PORT_BASE=${PORT_BASE:-29980}
[[ -f $JAR ]] || (cd "$ROOT" && mvn -q -B -DskipTests install)
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

rust=$ROOT/example-codecs-rust/wasm go=$ROOT/example-codecs-tinygo/wasm
# name | codec | filters (YAML flow list)
cases=(
  "native dubbo|{dubbo: {}}|[]"
  "native thrift|{thrift: {}}|[]"
  "rust tinyrpc ($(du -k "$rust/tinyrpc.wasm" | cut -f1) KiB)|{wasm: {module: $rust/tinyrpc.wasm}}|[]"
  "rust dubbo ($(du -k "$rust/dubbo.wasm" | cut -f1) KiB)|{wasm: {module: $rust/dubbo.wasm}}|[]"
  "go tinyrpc ($(du -k "$go/tinyrpc.wasm" | cut -f1) KiB)|{wasm: {module: $go/tinyrpc.wasm}}|[]"
  "go thrift ($(du -k "$go/thrift.wasm" | cut -f1) KiB)|{wasm: {module: $go/thrift.wasm}}|[]"
  "go tinyrpc + go filter ($(du -k "$go/tenant_guard_filter.wasm" | cut -f1) KiB)|{wasm: {module: $go/tinyrpc.wasm}}|[{wasm: {module: $go/tenant_guard_filter.wasm, config: {allowed: [a]}}}]"
  "go tinyrpc, interpreter|{wasm: {module: $go/tinyrpc.wasm, engine: interpreter}}|[]"
)

echo "| codec / filter | workers | start-up to /ready, ms (median of $RUNS) | all runs |"
echo "|---|---|---|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r name codec filters <<<"$c"
  cat >"$tmp/config.yaml" <<YAML
workers: $WORKERS
admin: {address: 127.0.0.1:$((PORT_BASE + 1))}
listeners:
  - {name: in, address: 127.0.0.1:$PORT_BASE, codec: $codec, filters: $filters, routes: [{cluster: up}]}
clusters:
  - {name: up, endpoints: ["127.0.0.1:$((PORT_BASE + 2))"]}
YAML
  times=()
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s%N)
    java -XX:-DontCompileHugeMethods -jar "$JAR" run -c "$tmp/config.yaml" >"$tmp/log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$((PORT_BASE + 1))/ready" >/dev/null 2>&1; do
      if ! kill -0 $pid 2>/dev/null; then cat "$tmp/log" >&2; exit 1; fi
      if (( ($(date +%s%N) - start) > 120000000000 )); then echo "$name: not ready in 120 s" >&2; exit 1; fi
      sleep 0.02
    done
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
    kill $pid; wait $pid 2>/dev/null || true
    pid=
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  echo "| $name | $WORKERS | ${sorted[$((RUNS / 2))]} | ${times[*]} |"
done
