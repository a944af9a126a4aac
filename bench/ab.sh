#!/usr/bin/env bash
# A/B of two Protean builds or JVM option sets on the native Dubbo path: both proxies run at once
# (pinned to the same CPU, one loaded at a time), the same provider behind them, measured
# alternately A, B, A, B... so that the machine's drift hits both alike. Prints, per measurement,
# QPS, p99 and the proxy's CPU per request in the window; with --alloc also the bytes the proxy's
# worker threads allocated per request (JFR jdk.ThreadAllocationStatistics over the window).
# Usage: bash bench/ab.sh [--rounds R] [--warmup S] [--duration S] [--alloc]
#                         [--a-config TEMPLATE] [--b-config TEMPLATE]
#                         A_JAR "A_JAVA_OPTS" B_JAR "B_JAVA_OPTS"
# A template is a Protean YAML in which ${PORT}, ${ADMIN} and ${PROVIDER} are replaced by the
# proxy's listener port, its admin port and the provider's port (default: one route, one cluster);
# e.g. the same jar twice, B with bench/traffic-features.yaml, prices the traffic features.
# Round 1 includes the proxies' JIT warm-up: compare the later rounds.
# Loopback only; every process it starts is ended on exit.
set -euo pipefail
ROUNDS=4 WARMUP=3 DURATION=5 ALLOC=0
CONFIGS=("" "")
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --alloc) ALLOC=1; shift ;;
    --a-config) CONFIGS[0]=$2; shift 2 ;;
    --b-config) CONFIGS[1]=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -eq 4 ]] || { sed -n 2,14p "$0" >&2; exit 2; }
JARS=("$1" "$3")
OPTS=("$2" "$4")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_JAR=$ROOT/bench/target/protean-bench.jar
PORT_BASE=${PORT_BASE:-29950}
PROVIDER_PORT=$PORT_BASE
for f in "$BENCH_JAR" "${JARS[@]}"; do
  [[ -f $f ]] || { echo "missing $f (mvn -B -q install -DskipTests)" >&2; exit 1; }
done
PROXY_CPU=1 LOAD_CPU=0
[[ $(nproc) -ge 2 ]] || PROXY_CPU=0

TMP=$(mktemp -d /tmp/protean-ab.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exec 3>&- 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

mkfifo "$TMP/provider.stdin"
exec 3<>"$TMP/provider.stdin"
taskset -c $LOAD_CPU java -Xms256m -Xmx512m -Ddubbo.service.shutdown.wait=0 \
  -Ddubbo.application.qos-enable=false -cp "$BENCH_JAR" io.protean.bench.DubboProviderMain \
  "$PROVIDER_PORT" --dispatcher direct <"$TMP/provider.stdin" >"$TMP/provider.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do grep -q READY "$TMP/provider.log" && break; sleep 0.1; done
grep -q READY "$TMP/provider.log" || { cat "$TMP/provider.log" >&2; exit 1; }

PROXY_PIDS=()
for i in 0 1; do
  port=$((PORT_BASE + 10 * (i + 1))) admin=$((PORT_BASE + 10 * (i + 1) + 1))
  if [[ -n ${CONFIGS[$i]} ]]; then
    PORT=$port ADMIN=$admin PROVIDER=$PROVIDER_PORT perl -pe \
      's/\$\{(PORT|ADMIN|PROVIDER)\}/$ENV{$1}/g' "${CONFIGS[$i]}" >"$TMP/p$i.yaml"
  else
    cat >"$TMP/p$i.yaml" <<EOF
workers: 1
admin: {address: 127.0.0.1:$admin}
listeners:
  - {name: bench, address: 127.0.0.1:$port, codec: dubbo, routes: [{match: {}, cluster: provider}]}
clusters:
  - {name: provider, connections_per_endpoint: 2, endpoints: [127.0.0.1:$PROVIDER_PORT]}
EOF
  fi
  # shellcheck disable=SC2086 # the options are a list
  taskset -c $PROXY_CPU java -Xms256m -Xmx512m -XX:-DontCompileHugeMethods ${OPTS[$i]} -jar "${JARS[$i]}" run -c "$TMP/p$i.yaml" \
    >"$TMP/p$i.log" 2>&1 &
  PIDS+=($!)
  PROXY_PIDS+=($!)
  for _ in $(seq 300); do curl -sf "127.0.0.1:$admin/ready" >/dev/null && break; sleep 0.1; done
  curl -sf "127.0.0.1:$admin/ready" >/dev/null || { cat "$TMP/p$i.log" >&2; exit 1; }
done

requests_total() {  # admin port -> the listener's request counter
  curl -s "127.0.0.1:$1/stats" | awk '/^protean_listener_requests_total/ { print $NF }'
}

for round in $(seq "$ROUNDS"); do
  for i in 0 1; do
    name=$([[ $i == 0 ]] && echo A || echo B)
    port=$((PORT_BASE + 10 * (i + 1))) admin=$((PORT_BASE + 10 * (i + 1) + 1)) pid=${PROXY_PIDS[$i]}
    taskset -c $LOAD_CPU java -cp "$BENCH_JAR" io.protean.bench.RpcLoad --target "127.0.0.1:$port" \
      --warmup "$WARMUP" --duration "$DURATION" --proxy-pid "$pid" --json >"$TMP/load.json" 2>/dev/null &
    load=$!
    alloc=""
    if [[ $ALLOC == 1 ]]; then
      sleep "$WARMUP"
      jcmd "$pid" JFR.start name=ab settings="$ROOT/bench/alloc.jfc" >/dev/null
      r0=$(requests_total "$admin")
      sleep "$DURATION"
      r1=$(requests_total "$admin")
      jcmd "$pid" JFR.dump name=ab filename="$TMP/ab.jfr" >/dev/null
      jcmd "$pid" JFR.stop name=ab >/dev/null
      jfr print --json --events jdk.ThreadAllocationStatistics "$TMP/ab.jfr" >"$TMP/ab.json"
      alloc=$(python3 - "$TMP/ab.json" "$r0" "$r1" "$DURATION" <<'EOF'
import collections, datetime, json, sys
# Allocated bytes of the worker threads between their first and last sample (1 s apart), per
# request, with the requests of the window scaled to the sampled span.
samples = collections.defaultdict(list)
for e in json.load(open(sys.argv[1]))["recording"]["events"]:
    v = e["values"]
    name = (v["thread"] or {}).get("javaName") or ""
    if name.startswith("protean-worker"):
        samples[name].append((datetime.datetime.fromisoformat(v["startTime"][:26]), v["allocated"]))
total, span = 0, 0.0
for xs in samples.values():
    xs.sort()
    if len(xs) > 1:
        total += xs[-1][1] - xs[0][1]
        span = max(span, (xs[-1][0] - xs[0][0]).total_seconds())
requests = (float(sys.argv[3]) - float(sys.argv[2])) * span / float(sys.argv[4])
print(" alloc_bytes_per_req=%.0f" % (total / requests) if requests > 0 else " alloc=n/a")
EOF
)
    fi
    wait $load || true
    python3 - "$TMP/load.json" "$name" "$round" "$alloc" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("round %s %s qps=%.0f p99_us=%.0f errors=%d cpu_us_per_req=%.2f%s" % (sys.argv[3], sys.argv[2],
      d["qps"], d["p99_us"], d["errors"], d["proxy_cpu_s"] * 1e6 / max(1, d["requests"]), sys.argv[4]))
EOF
  done
done
