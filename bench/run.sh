#!/usr/bin/env bash
# Protean benchmark: direct vs HAProxy (mode tcp) vs nginx (stream) vs Protean (native codec and a
# Wasm codec), measured interleaved in rounds, for Dubbo (a real Dubbo 3 provider; Wasm leg: the
# Rust codec) or Thrift (a real libthrift TThreadedSelectorServer, framed binary; Wasm leg: the Go codec).
# Usage: bash bench/run.sh [--protocol dubbo|thrift|all] [--duration S] [--warmup S] [--rounds R]
#                          [--connections N] [--inflight M] [--payload BYTES] [--workers W] [--build]
#                          [--no-pin] [--dispatcher direct|all] [--prime S] [--gen-threads T]
#                          [--upstream-connections C]  (Protean's connections_per_endpoint, default 2)
#                          [--sweep M1,M2,...|none] [--sweep-duration S]  (the latency-vs-load chart)
# Env: PROTEAN_JAR (default proxy/target/protean.jar), PROXY_CPUS / LOAD_CPUS (taskset lists),
#      PORT_BASE (default 29880), JAVA_OPTS (generator and server), PROTEAN_JAVA_OPTS,
#      DUBBO_WASM / THRIFT_WASM (the protean-wasm leg's module), DUBBO_GO_WASM (Dubbo's protean-wasm-go leg).
# Loopback only; every process it starts is ended on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=5 WARMUP=2 ROUNDS=3 CONNECTIONS=16 INFLIGHT=8 PAYLOAD=64 WORKERS=1 BUILD=0 PIN=1
GEN_THREADS=1 DISPATCHER=direct PRIME=10 PROTOCOL=dubbo UPSTREAM=2 SWEEP=1,2,4,16 SWEEP_DURATION=3
ARGS=("$@")

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --protocol) PROTOCOL=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --payload) PAYLOAD=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --gen-threads) GEN_THREADS=$2; shift 2 ;;
    --upstream-connections) UPSTREAM=$2; shift 2 ;;
    --dispatcher) DISPATCHER=$2; shift 2 ;;
    --prime) PRIME=$2; shift 2 ;;
    --sweep) SWEEP=$2; shift 2 ;;
    --sweep-duration) SWEEP_DURATION=$2; shift 2 ;;
    --build) BUILD=1; shift ;;
    --no-pin) PIN=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [[ $PROTOCOL == all ]]; then
  # Both protocols, one after the other, each with its own report and chart.
  rc=0
  for p in dubbo thrift; do
    bash "$0" "${ARGS[@]}" --protocol "$p" || rc=1
  done
  exit $rc
fi
[[ $SWEEP == none || $SWEEP =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "--sweep: expected M1,M2,... or none, found $SWEEP" >&2; exit 2; }

PORT_BASE=${PORT_BASE:-29880}
PROTEAN_PORT=$PORT_BASE
PROVIDER_PORT=$((PORT_BASE + 1))
HAPROXY_PORT=$((PORT_BASE + 2))
ADMIN_PORT=$((PORT_BASE + 21))
WASM_PORT=$((PORT_BASE + 3))
NGINX_PORT=$((PORT_BASE + 4))
WASM_ADMIN_PORT=$((PORT_BASE + 22))
INTERP_PORT=$((PORT_BASE + 5))
INTERP_ADMIN_PORT=$((PORT_BASE + 23))
GO_PORT=$((PORT_BASE + 6))
GO_ADMIN_PORT=$((PORT_BASE + 24))
case $PROTOCOL in
  # The Wasm codec of the protean-wasm leg (skipped when absent): DUBBO_WASM / THRIFT_WASM, by
  # default the repository's Rust Dubbo codec and Go Thrift codec.
  # Dubbo has a second Wasm leg, protean-wasm-go: the Go Dubbo codec (DUBBO_GO_WASM).
  dubbo) WASM_MODULE=${DUBBO_WASM:-$ROOT/example-codecs-rust/wasm/dubbo.wasm}
         WASM_LANGUAGE=${DUBBO_WASM:+given}; WASM_LANGUAGE=${WASM_LANGUAGE:-Rust}
         GO_MODULE=${DUBBO_GO_WASM:-$ROOT/example-codecs-tinygo/wasm/dubbo.wasm} ;;
  thrift) WASM_MODULE=${THRIFT_WASM:-$ROOT/example-codecs-tinygo/wasm/thrift.wasm}
          WASM_LANGUAGE=${THRIFT_WASM:+given}; WASM_LANGUAGE=${WASM_LANGUAGE:-Go}
          GO_MODULE= ;;
  *) echo "--protocol: expected dubbo or thrift, found $PROTOCOL" >&2; exit 2 ;;
esac
BENCH_JAR=$ROOT/bench/target/protean-bench.jar
PROTEAN_JAR=${PROTEAN_JAR:-$ROOT/proxy/target/protean.jar}
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx512m"}
# As the ./protean launcher: HotSpot JIT-compiles Wasm functions of any size (see that script).
PROTEAN_JAVA_OPTS=${PROTEAN_JAVA_OPTS:-"-Xms256m -Xmx512m -XX:-DontCompileHugeMethods"}
CLK_TCK=$(getconf CLK_TCK)

log() { echo "[bench] $*" >&2; }

# ---- prerequisites ----------------------------------------------------------------------------
if ! command -v haproxy >/dev/null 2>&1; then
  log "installing haproxy (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
fi
if ! command -v nginx >/dev/null 2>&1 || [[ ! -f /usr/lib/nginx/modules/ngx_stream_module.so ]]; then
  log "installing nginx with the stream module (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-core libnginx-mod-stream >/dev/null
fi
for tool in java taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
if ! fc-list 2>/dev/null | grep -q .; then
  # The chart is drawn by Java2D, which needs fontconfig and one font.
  log "installing fontconfig and fonts-dejavu-core (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fontconfig fonts-dejavu-core >/dev/null
fi
if [[ $BUILD == 1 || ! -f $BENCH_JAR ]]; then
  log "building with Maven (repo root, -DskipTests install)"
  (cd "$ROOT" && mvn -B -q -DskipTests install)
fi

# ---- CPU placement ----------------------------------------------------------------------------
NCPU=$(nproc)
if [[ $PIN == 1 && $NCPU -ge 2 ]]; then
  PROXY_CPUS=${PROXY_CPUS:-1}
  LOAD_CPUS=${LOAD_CPUS:-0}
  PLACEMENT="proxy (HAProxy, nginx or Protean) pinned to CPU $PROXY_CPUS; load generator and server share CPU $LOAD_CPUS"
else
  PROXY_CPUS=${PROXY_CPUS:-0-$((NCPU - 1))}
  LOAD_CPUS=${LOAD_CPUS:-0-$((NCPU - 1))}
  PLACEMENT="no pinning: every process shares CPUs 0-$((NCPU - 1))"
fi

# ---- processes and cleanup ----------------------------------------------------------------------
TMP=$(mktemp -d /tmp/protean-bench.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  exec 3>&- 2>/dev/null || true
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { timeout 1 bash -c "exec 9<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
port_free() { ! port_open "$1"; }

for p in $PROTEAN_PORT $PROVIDER_PORT $HAPROXY_PORT $ADMIN_PORT $WASM_PORT $WASM_ADMIN_PORT $NGINX_PORT \
  $INTERP_PORT $INTERP_ADMIN_PORT $GO_PORT $GO_ADMIN_PORT; do
  port_free "$p" || { echo "port $p is in use (set PORT_BASE)" >&2; exit 1; }
done

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---- the server: a Dubbo provider or a Thrift server (stdin is a FIFO this script holds: it exits
# when we do) ----------------------------------------------------------------------------------------
mkfifo "$TMP/provider.stdin"
exec 3<>"$TMP/provider.stdin"
if [[ $PROTOCOL == dubbo ]]; then
  SERVER=(io.protean.bench.DubboProviderMain "$PROVIDER_PORT" --dispatcher "$DISPATCHER")
  SERVER_NAME="Apache Dubbo 3.3.6 provider, dispatcher \`$DISPATCHER\`"
else
  SERVER=(io.protean.bench.ThriftServerMain "$PROVIDER_PORT" --workers 2)
  SERVER_NAME="libthrift 0.20.0 TThreadedSelectorServer, framed binary, 1 selector + 2 workers"
fi
# shellcheck disable=SC2086
taskset -c "$LOAD_CPUS" java $JAVA_OPTS -Ddubbo.service.shutdown.wait=0 \
  -Ddubbo.application.qos-enable=false -cp "$BENCH_JAR" "${SERVER[@]}" \
  <"$TMP/provider.stdin" >"$TMP/provider.log" 2>&1 &
PROVIDER_PID=$!
PIDS+=("$PROVIDER_PID")
for _ in $(seq 600); do
  grep -q "^READY" "$TMP/provider.log" 2>/dev/null && break
  kill -0 "$PROVIDER_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q "^READY" "$TMP/provider.log" || { tail -20 "$TMP/provider.log" >&2; echo "server did not start" >&2; exit 1; }
log "$PROTOCOL server ready on 127.0.0.1:$PROVIDER_PORT (pid $PROVIDER_PID)"

# ---- HAProxy, mode tcp ----------------------------------------------------------------------------
cat >"$TMP/haproxy.cfg" <<EOF
global
  nbthread $WORKERS
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend bench
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend provider
backend provider
  server p1 127.0.0.1:$PROVIDER_PORT
EOF
haproxy -c -q -f "$TMP/haproxy.cfg"
taskset -c "$PROXY_CPUS" haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")
for _ in $(seq 100); do port_open "$HAPROXY_PORT" && break; sleep 0.1; done
port_open "$HAPROXY_PORT" || { cat "$TMP/haproxy.log" >&2; echo "haproxy did not start" >&2; exit 1; }

# ---- nginx stream (one process: master_process off, so /proc shows all of its CPU) ------------
cat >"$TMP/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process off;
worker_processes 1;
error_log $TMP/nginx.err warn;
pid $TMP/nginx.pid;
events { worker_connections 4096; }
stream {
  server {
    listen 127.0.0.1:$NGINX_PORT;
    proxy_pass 127.0.0.1:$PROVIDER_PORT;
  }
}
EOF
taskset -c "$PROXY_CPUS" nginx -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
for _ in $(seq 100); do port_open "$NGINX_PORT" && break; sleep 0.1; done
port_open "$NGINX_PORT" || { cat "$TMP/nginx.log" "$TMP/nginx.err" >&2; echo "nginx did not start" >&2; exit 1; }
log "HAProxy ready on 127.0.0.1:$HAPROXY_PORT (pid $HAPROXY_PID, nbthread $WORKERS)"

# ---- Protean --------------------------------------------------------------------------------------
http_status() {  # prints the status code of GET http://127.0.0.1:$1$2, or nothing
  timeout 2 bash -c "exec 9<>/dev/tcp/127.0.0.1/$1 && printf 'GET $2 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&9 && head -1 <&9" 2>/dev/null \
    | awk '{ print $2 }' || true
}
# start_protean LEG PORT ADMIN_PORT CODEC: starts a Protean process; sets STARTED_PID (empty on
# failure) and records why it was skipped in NOTES.
NOTES=()
start_protean() {
  local leg=$1 port=$2 admin=$3 codec=$4 ready= prc
  STARTED_PID=
  if [[ ! -f $PROTEAN_JAR ]]; then
    NOTES+=("$leg skipped: $PROTEAN_JAR does not exist (set PROTEAN_JAR or build the proxy).")
    return
  fi
  cat >"$TMP/$leg.yaml" <<EOF
workers: $WORKERS
admin:
  address: 127.0.0.1:$admin
listeners:
  - name: bench
    address: 127.0.0.1:$port
    codec: $codec
    routes:
      - match: {}
        cluster: provider
clusters:
  - name: provider
    lb: round_robin
    connections_per_endpoint: $UPSTREAM
    endpoints:
      - address: 127.0.0.1:$PROVIDER_PORT
EOF
  # shellcheck disable=SC2086
  taskset -c "$PROXY_CPUS" java $PROTEAN_JAVA_OPTS -jar "$PROTEAN_JAR" run -c "$TMP/$leg.yaml" \
    >"$TMP/$leg.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || break
    [[ $(http_status "$admin" /ready) == 200 ]] && { ready=1; break; }
    sleep 0.5
  done
  if [[ -n $ready ]]; then
    log "$leg ready on 127.0.0.1:$port (pid $pid, workers $WORKERS, codec $codec)"
    STARTED_PID=$pid
  elif ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && prc=0 || prc=$?
    NOTES+=("$leg skipped: it exited (code $prc) before GET /ready answered 200. Last log lines: $(tail -3 "$TMP/$leg.log" | tr '\n' ' ' | cut -c1-400)")
  else
    NOTES+=("$leg skipped: not ready within 30 s (GET /ready on 127.0.0.1:$admin). Last log lines: $(tail -3 "$TMP/$leg.log" | tr '\n' ' ' | cut -c1-400)")
    kill -TERM "$pid" 2>/dev/null || true
  fi
}
start_protean protean "$PROTEAN_PORT" "$ADMIN_PORT" "$PROTOCOL"
PROTEAN_PID=$STARTED_PID
WASM_PID=
INTERP_PID=
if [[ -f $WASM_MODULE ]]; then
  start_protean protean-wasm "$WASM_PORT" "$WASM_ADMIN_PORT" "{wasm: {module: $WASM_MODULE}}"
  WASM_PID=$STARTED_PID
  # The same module on Endive's interpreter: for reference (no JIT to JVM bytecode).
  start_protean protean-wasm-interp "$INTERP_PORT" "$INTERP_ADMIN_PORT" \
    "{wasm: {module: $WASM_MODULE, engine: interpreter}}"
  INTERP_PID=$STARTED_PID
else
  NOTES+=("protean-wasm and protean-wasm-interp skipped: $WASM_MODULE does not exist.")
fi
GO_PID=
if [[ -n $GO_MODULE && -f $GO_MODULE ]]; then
  start_protean protean-wasm-go "$GO_PORT" "$GO_ADMIN_PORT" "{wasm: {module: $GO_MODULE}}"
  GO_PID=$STARTED_PID
elif [[ -n $GO_MODULE ]]; then
  NOTES+=("protean-wasm-go skipped: $GO_MODULE does not exist.")
fi
for note in "${NOTES[@]}"; do log "$note"; done

# ---- measurements ---------------------------------------------------------------------------------
RESULTS=$TMP/results.jsonl
: >"$RESULTS"
measure() {  # leg round port proxy_pid [inflight warmup duration sweep]
  local leg=$1 round=$2 port=$3 ppid=$4 inflight=${5:-$INFLIGHT} warmup=${6:-$WARMUP}
  local duration=${7:-$DURATION} tag="" out line extra="" pidopt=()
  [[ -n ${8:-} ]] && tag="\"sweep\":1,"
  # The generator reads the proxy's and the server's CPU from /proc at the exact bounds of its
  # measured window.
  [[ -n $ppid ]] && pidopt=(--proxy-pid "$ppid")
  # shellcheck disable=SC2086
  out=$(taskset -c "$LOAD_CPUS" java $JAVA_OPTS -cp "$BENCH_JAR" io.protean.bench.RpcLoad \
    --protocol "$PROTOCOL" --target "127.0.0.1:$port" --connections "$CONNECTIONS" --inflight "$inflight" \
    --warmup "$warmup" --duration "$duration" --payload "$PAYLOAD" --threads "$GEN_THREADS" \
    "${pidopt[@]}" --server-pid "$PROVIDER_PID" --clk-tck "$CLK_TCK" --json 2>"$TMP/gen.err") || true
  line=$(grep '^{' <<<"$out" | tail -1 || true)
  if [[ -z $line ]]; then
    local reason
    reason=$(tail -3 "$TMP/gen.err" | tr '\n"' " '" | cut -c1-300)
    echo "{\"leg\":\"$leg\",\"round\":$round,$tag\"inflight\":$inflight,\"failed\":1,\"reason\":\"$reason\"}" >>"$RESULTS"
    log "round $round $leg (in flight $inflight): FAILED: $reason"
    return
  fi
  [[ -n $ppid ]] && extra="\"proxy_rss_kb\":$(rss_kb "$ppid"),"
  echo "{\"leg\":\"$leg\",\"round\":$round,$tag$extra${line#\{}" >>"$RESULTS"
  log "round $round $leg (in flight $inflight): $(jq_lite "$line")"
}
jq_lite() {  # a short summary of a generator JSON line
  local qps p99 err
  qps=$(grep -o '"qps":[0-9.]*' <<<"$1" | cut -d: -f2)
  p99=$(grep -o '"p99_us":[0-9.]*' <<<"$1" | cut -d: -f2)
  err=$(grep -o '"errors":[0-9]*' <<<"$1" | cut -d: -f2)
  echo "qps=$qps p99_us=$p99 errors=$err"
}

LEGS=("direct:$PROVIDER_PORT:" "haproxy:$HAPROXY_PORT:$HAPROXY_PID" "nginx:$NGINX_PORT:$NGINX_PID")
[[ -n $PROTEAN_PID ]] && LEGS+=("protean:$PROTEAN_PORT:$PROTEAN_PID")
[[ -n $WASM_PID ]] && LEGS+=("protean-wasm:$WASM_PORT:$WASM_PID")
[[ -n $GO_PID ]] && LEGS+=("protean-wasm-go:$GO_PORT:$GO_PID")
[[ -n $INTERP_PID ]] && LEGS+=("protean-wasm-interp:$INTERP_PORT:$INTERP_PID")
log "measuring: $ROUNDS round(s) x [${LEGS[*]%%:*}], ${WARMUP}s warm-up + ${DURATION}s each; $PLACEMENT"
if [[ $PRIME != 0 ]]; then
  # JIT-warm the provider (and the page cache) once, unrecorded, so round 1 is not penalised.
  log "priming the provider for ${PRIME}s (not recorded)"
  # shellcheck disable=SC2086
  taskset -c "$LOAD_CPUS" java $JAVA_OPTS -cp "$BENCH_JAR" io.protean.bench.RpcLoad \
    --protocol "$PROTOCOL" --target "127.0.0.1:$PROVIDER_PORT" --connections "$CONNECTIONS" --inflight "$INFLIGHT" \
    --warmup 0 --duration "$PRIME" --payload "$PAYLOAD" --json >/dev/null 2>&1 \
    || log "priming run reported errors"
fi
for round in $(seq "$ROUNDS"); do
  for leg in "${LEGS[@]}"; do
    IFS=: read -r name port pid <<<"$leg"
    measure "$name" "$round" "$port" "$pid"
  done
done
# The load sweep for the chart: one short measurement per target and in-flight level (the main
# rounds give the point at --inflight), each level interleaved across the targets.
if [[ $SWEEP != none ]]; then
  log "load sweep: in flight per connection ${SWEEP//,/, } x [${LEGS[*]%%:*}], 1 s warm-up + ${SWEEP_DURATION} s each"
  for level in ${SWEEP//,/ }; do
    [[ $level == "$INFLIGHT" ]] && continue
    for leg in "${LEGS[@]}"; do
      IFS=: read -r name port pid <<<"$leg"
      measure "$name" 0 "$port" "$pid" "$level" 1 "$SWEEP_DURATION" sweep
    done
  done
fi

# ---- report ---------------------------------------------------------------------------------------
mkdir -p "$ROOT/bench/results"
STAMP=$PROTOCOL-$(date +%Y%m%d-%H%M%S)
REPORT=$ROOT/bench/results/$STAMP.md
CHART=$ROOT/bench/results/$STAMP.png
CHART_NOTE=
java -Djava.awt.headless=true -cp "$BENCH_JAR" io.protean.bench.Chart "$RESULTS" "$CHART" \
  "$PROTOCOL, $CONNECTIONS connections" 2>"$TMP/chart.err" \
  || { CHART_NOTE="- No chart: $(tail -1 "$TMP/chart.err")"; rm -f "$CHART"; }
{
  echo "# Protean $PROTOCOL benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- Workload: closed loop, $CONNECTIONS connections × $INFLIGHT requests in flight, an echo call with a $PAYLOAD-byte string ($PROTOCOL frames built by the protocol's own library), ${WARMUP} s warm-up + ${DURATION} s measured, $ROUNDS interleaved round(s)."
  echo "- Server: $SERVER_NAME, primed ${PRIME} s before round 1."
  echo "- Machine: $NCPU CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r); other work may share it."
  echo "- Placement: $PLACEMENT."
  echo "- Proxies: HAProxy $(haproxy -v | head -1 | awk '{ print $3 }') \`mode tcp\`, nbthread $WORKERS (one upstream connection per client connection); nginx $(nginx -v 2>&1 | sed 's|.*/||') \`stream\`, one process (master_process off); Protean workers $WORKERS, $UPSTREAM upstream connection(s) (\`connections_per_endpoint\`): \`protean\` with the native $PROTOCOL codec, \`protean-wasm\` with the $WASM_LANGUAGE Wasm codec $(basename "$WASM_MODULE") (Endive compiler), \`protean-wasm-interp\` the same module on Endive's interpreter${GO_PID:+, \`protean-wasm-go\` with the Go Wasm codec $(basename "$GO_MODULE") (Endive compiler)}."
  for note in "${NOTES[@]}"; do echo "- $note"; done
  [[ -n $CHART_NOTE ]] && echo "$CHART_NOTE"
  echo "- Columns: latency percentiles are medians over rounds; proxy and server CPU are utime+stime from /proc in the measured window (read by the generator at its bounds) per 100k requests answered in the window; generator CPU is the generator's own process CPU in the measured window, in cores (near 1.0 with pinning means the generator core is saturated)."
  echo
  java -cp "$BENCH_JAR" io.protean.bench.Report "$RESULTS" && REPORT_RC=0 || REPORT_RC=$?
  echo "$REPORT_RC" >"$TMP/report.rc"
  if [[ -f $CHART ]]; then
    echo
    echo "Latency against load (\`--sweep\` levels and \`--inflight\`, $CONNECTIONS connections):"
    echo
    echo "![latency vs load]($STAMP.png)"
  fi
} >"$REPORT"
cat "$REPORT"
log "written to $REPORT"
REPORT_RC=$(cat "$TMP/report.rc")
[[ $REPORT_RC == 0 ]] || log "some measurements had errors or failed"
exit "$REPORT_RC"
