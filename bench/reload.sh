#!/usr/bin/env bash
# Reload storm: the cost of one configuration reload per second on QPS and latency, against no
# reloads, in one run. Two real Dubbo providers, one Protean per leg (native Dubbo codec; Rust Wasm
# Dubbo codec), rounds alternating "steady" (no reloads) and "storm" (ReloadStorm rewrites the YAML
# between two real configurations and POSTs /reload once per second, checking each is applied).
# Usage: bash bench/reload.sh [--rounds R] [--warmup S] [--duration S] [--prime S] [--interval-ms MS]
#                             [--legs native,wasm] [--changes all|routes|stay|spread|providers]
#                             [--kind applied|unchanged|ready] [--connections N] [--inflight M]
#                             [--payload BYTES] [--upstream-connections C] [--no-timeline]
#                             [--build] [--no-pin]
# Env: PROTEAN_JAR (default proxy/target/protean.jar), DUBBO_WASM (the wasm leg's module, default
#      the Rust Dubbo codec), PORT_BASE (default 29930), PROXY_CPUS / LOAD_CPUS / DRIVER_CPUS (taskset
#      lists; the storm driver defaults to LOAD_CPUS),
#      JAVA_OPTS (generator, providers, storm driver), PROTEAN_JAVA_OPTS, MAVEN_REPO_LOCAL (--build).
# Loopback only; every process it starts is ended on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=4 WARMUP=2 DURATION=6 PRIME=6 INTERVAL_MS=1000 LEGS=native,wasm CHANGES=all KIND=applied
CONNECTIONS=16 INFLIGHT=8 PAYLOAD=64 UPSTREAM=2 BUILD=0 PIN=1 TIMELINE=1
ARGS_GIVEN="$*"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --prime) PRIME=$2; shift 2 ;;
    --interval-ms) INTERVAL_MS=$2; shift 2 ;;
    --legs) LEGS=$2; shift 2 ;;
    --changes) CHANGES=$2; shift 2 ;;
    --kind) KIND=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --payload) PAYLOAD=$2; shift 2 ;;
    --upstream-connections) UPSTREAM=$2; shift 2 ;;
    --no-timeline) TIMELINE=0; shift ;;
    --build) BUILD=1; shift ;;
    --no-pin) PIN=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $CHANGES =~ ^(all|routes|stay|spread|providers)$ ]] || { echo "--changes: expected all, routes, stay, spread or providers, found $CHANGES" >&2; exit 2; }
[[ $KIND =~ ^(applied|unchanged|ready)$ ]] || { echo "--kind: expected applied, unchanged or ready, found $KIND" >&2; exit 2; }
[[ $LEGS =~ ^(native|wasm)(,(native|wasm))*$ ]] || { echo "--legs: expected native, wasm or native,wasm, found $LEGS" >&2; exit 2; }

PORT_BASE=${PORT_BASE:-29930}
LISTEN_PORT=$PORT_BASE
PROVIDER_A=$((PORT_BASE + 2))
PROVIDER_B=$((PORT_BASE + 3))
ADMIN_PORT=$((PORT_BASE + 4))
BENCH_JAR=$ROOT/bench/target/protean-bench.jar
PROTEAN_JAR=${PROTEAN_JAR:-$ROOT/proxy/target/protean.jar}
WASM_MODULE=${DUBBO_WASM:-$ROOT/example-codecs-rust/wasm/dubbo.wasm}
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx512m"}
PROTEAN_JAVA_OPTS=${PROTEAN_JAVA_OPTS:-"-Xms256m -Xmx512m -XX:-DontCompileHugeMethods"}
CLK_TCK=$(getconf CLK_TCK)

log() { echo "[reload] $*" >&2; }

for tool in java taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
if [[ $BUILD == 1 || ! -f $BENCH_JAR || ! -f $PROTEAN_JAR ]]; then
  log "building the proxy and bench jars with Maven (-pl bench -am package, -DskipTests)"
  (cd "$ROOT" && mvn -B -q -DskipTests ${MAVEN_REPO_LOCAL:+-Dmaven.repo.local=$MAVEN_REPO_LOCAL} \
    -pl bench -am package)
fi

NCPU=$(nproc)
if [[ $PIN == 1 && $NCPU -ge 2 ]]; then
  PROXY_CPUS=${PROXY_CPUS:-1}
  LOAD_CPUS=${LOAD_CPUS:-0}
  PLACEMENT="Protean pinned to CPU $PROXY_CPUS (its reload and admin threads too); generator and both providers share CPU $LOAD_CPUS"
else
  PROXY_CPUS=${PROXY_CPUS:-0-$((NCPU - 1))}
  LOAD_CPUS=${LOAD_CPUS:-0-$((NCPU - 1))}
  PLACEMENT="no pinning: every process shares CPUs 0-$((NCPU - 1))"
fi
# The storm driver sits with the load by default: the proxy's core is the one under test.
DRIVER_CPUS=${DRIVER_CPUS:-$LOAD_CPUS}
PLACEMENT="$PLACEMENT; the storm driver on CPU(s) $DRIVER_CPUS"

# ---- processes and cleanup ----------------------------------------------------------------------
TMP=$(mktemp -d /tmp/protean-reload.XXXXXX)
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
for p in $LISTEN_PORT $PROVIDER_A $PROVIDER_B $ADMIN_PORT; do
  ! port_open "$p" || { echo "port $p is in use (set PORT_BASE)" >&2; exit 1; }
done
http_status() {  # prints the status code of GET http://127.0.0.1:$1$2, or nothing
  timeout 2 bash -c "exec 9<>/dev/tcp/127.0.0.1/$1 && printf 'GET $2 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&9 && head -1 <&9" 2>/dev/null \
    | awk '{ print $2 }' || true
}
# stop_pid PID: SIGTERM, wait up to 5 s, then SIGKILL; forgets it.
stop_pid() {
  local pid=$1 kept=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

# ---- two Dubbo providers (stdin: a FIFO this script holds, so they exit when it does) -----------
mkfifo "$TMP/provider.stdin"
exec 3<>"$TMP/provider.stdin"
PROVIDER_PIDS=()
for port in $PROVIDER_A $PROVIDER_B; do
  # shellcheck disable=SC2086
  taskset -c "$LOAD_CPUS" java $JAVA_OPTS -Ddubbo.service.shutdown.wait=0 \
    -Ddubbo.application.qos-enable=false -cp "$BENCH_JAR" io.protean.bench.DubboProviderMain \
    "$port" --dispatcher direct <"$TMP/provider.stdin" >"$TMP/provider-$port.log" 2>&1 &
  PIDS+=("$!")
  PROVIDER_PIDS+=("$!")
done
for port in $PROVIDER_A $PROVIDER_B; do
  for _ in $(seq 600); do
    grep -q "^READY" "$TMP/provider-$port.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "^READY" "$TMP/provider-$port.log" \
    || { tail -20 "$TMP/provider-$port.log" >&2; echo "provider on $port did not start" >&2; exit 1; }
done
log "Dubbo providers ready on 127.0.0.1:$PROVIDER_A and :$PROVIDER_B (pids ${PROVIDER_PIDS[*]})"

# load PORT WARMUP DURATION [PROXY_PID [TIMELINE_FILE]]: one RpcLoad run; prints its JSON line
# (or nothing).
load() {
  local pidopt=()
  [[ -n ${4:-} ]] && pidopt=(--proxy-pid "$4" --clk-tck "$CLK_TCK")
  [[ -n ${5:-} ]] && pidopt+=(--timeline "$5")
  # shellcheck disable=SC2086
  taskset -c "$LOAD_CPUS" java $JAVA_OPTS -cp "$BENCH_JAR" io.protean.bench.RpcLoad \
    --protocol dubbo --target "127.0.0.1:$1" --connections "$CONNECTIONS" --inflight "$INFLIGHT" \
    --warmup "$2" --duration "$3" --payload "$PAYLOAD" "${pidopt[@]}" --json 2>"$TMP/gen.err" \
    | grep '^{' | tail -1 || true
}
if [[ $PRIME != 0 ]]; then
  # JIT-warm both providers, unrecorded (the storm moves traffic between them).
  log "priming both providers for ${PRIME}s each (not recorded)"
  load "$PROVIDER_A" 0 "$PRIME" >/dev/null
  load "$PROVIDER_B" 0 "$PRIME" >/dev/null
fi

# ---- the two configurations a storm alternates between -------------------------------------------
# variant LEG CODEC WHICH: prints configuration a or b. Clusters blue and green both have provider
# A as their endpoint (each cluster its own connections), so every configuration offers the load
# side the same work: one provider, connections_per_endpoint connections. a sends every call to
# blue; b flips the route order, so every call goes to green: every reload changes the route table
# and moves the traffic to the other cluster. --changes:
#   all (default)  also: b adds provider B to blue's endpoints (blue has no calls in b) and a
#                  cluster 'spare'; a removes both again;
#   routes         the route flip only;
#   stay           the calls never move (b routes them to blue by another condition); b adds
#                  provider B to the idle green and adds 'spare';
#   spread         b adds provider B to green, where the calls go: every other reload opens
#                  connections to it, and half of the time the calls spread over two providers;
#   providers      the route flip only, green's endpoint is provider B: the calls move between
#                  two provider processes (which need not be equally fast: a load-side effect).
variant() {
  local codec=$2 which=$3 pa="127.0.0.1:$PROVIDER_A" pb="127.0.0.1:$PROVIDER_B" spare=""
  local blue="[$pa]" green="[$pa]"
  [[ $CHANGES == providers ]] && green="[$pb]"
  local blue_route="      - name: to-blue
        match: {metadata: [{key: method, exact: echo}]}
        cluster: blue"
  local green_route="      - name: default
        cluster: green"
  local routes="$blue_route
$green_route"
  local spare_cluster="  - name: spare
    connections_per_endpoint: $UPSTREAM
    endpoints: [$pb]"
  if [[ $which == b ]]; then
    routes="$green_route
$blue_route"
    case $CHANGES in
      all) blue="[$pa, $pb]"; spare=$spare_cluster ;;
      stay) routes="      - name: to-blue
        match: {metadata: [{key: interface, exact: io.protean.bench.EchoService}]}
        cluster: blue
$green_route"
            green="[$pa, $pb]"; spare=$spare_cluster ;;
      spread) green="[$pa, $pb]" ;;
    esac
  fi
  cat <<EOF
workers: 1
admin:
  address: 127.0.0.1:$ADMIN_PORT
listeners:
  - name: bench
    address: 127.0.0.1:$LISTEN_PORT
    codec: $codec
    routes:
$routes
clusters:
  - name: blue
    lb: round_robin
    connections_per_endpoint: $UPSTREAM
    endpoints: $blue
  - name: green
    lb: round_robin
    connections_per_endpoint: $UPSTREAM
    endpoints: $green
$spare
EOF
}

RESULTS=$TMP/results.jsonl
RELOADS=$TMP/reloads.jsonl
mkdir -p "$TMP/timeline"
: >"$RESULTS"
: >"$RELOADS"
NOTES=()

# storm_cmd CMD: sends a command to the storm driver; for check-module and stop, prints its answer.
storm_cmd() {
  echo "$1" >&"${STORM[1]}"
  case $1 in
    check-module|stop|use*)
      local line
      if ! read -r -t 60 line <&"${STORM[0]}"; then
        echo "reload-storm did not answer '$1'" >&2; tail -5 "$TMP/storm.err" >&2; exit 1
      fi
      echo "$line" ;;
  esac
}

# cpu_s PID...: the processes' CPU (utime + stime) so far, in seconds.
cpu_s() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$total" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz }'
}

# measure LEG MODE ROUND PID: one generator run through the proxy; a storm around it in mode storm.
# Also records the CPU the providers and the storm driver used over the whole run (warm-up
# included): the load side shares one CPU, so what the storm costs there shows too.
measure() {
  local leg=$1 mode=$2 round=$3 pid=$4 line summary="" tl="" prov0 drv0 side
  [[ $TIMELINE == 1 ]] && tl=$TMP/timeline/$leg-$round-$mode.jsonl
  prov0=$(cpu_s "${PROVIDER_PIDS[@]}")
  drv0=$(cpu_s "$STORM_PID_")
  # Steady rounds run configuration a in odd rounds and b in even ones (one reload before the
  # round when needed): the storm spends half its time in each, and the two need not cost the
  # same (each cluster has its own connections to the provider).
  local config=a+b use
  if [[ $mode == steady ]]; then
    config=$([[ $((round % 2)) == 1 ]] && echo a || echo b)
    use=$(storm_cmd "use $([[ $config == a ]] && echo 0 || echo 1)")
    grep -q '"problem"' <<<"$use" && { log "could not switch to configuration $config: $use"; exit 1; }
  fi
  [[ $mode == storm ]] && storm_cmd "start $leg:$round"
  line=$(load "$LISTEN_PORT" "$WARMUP" "$DURATION" "$pid" "$tl")
  if [[ $mode == storm ]]; then
    summary=$(storm_cmd stop)
    echo "{\"leg\":\"$leg\",\"round\":$round,${summary#\{}" >>"$RESULTS"
  fi
  side=$(awk -v p0="$prov0" -v p1="$(cpu_s "${PROVIDER_PIDS[@]}")" -v d0="$drv0" -v d1="$(cpu_s "$STORM_PID_")" \
    'BEGIN { printf "\"providers_run_cpu_s\":%.3f,\"driver_run_cpu_s\":%.3f,", p1 - p0, d1 - d0 }')
  if [[ -z $line ]]; then
    local reason
    reason=$(tail -3 "$TMP/gen.err" | tr '\n"' " '" | cut -c1-300)
    echo "{\"leg\":\"$leg\",\"mode\":\"$mode\",\"round\":$round,\"failed\":1,\"reason\":\"$reason\"}" >>"$RESULTS"
    log "round $round $leg $mode: FAILED: $reason"
    return
  fi
  echo "{\"leg\":\"$leg\",\"mode\":\"$mode\",\"config\":\"$config\",\"round\":$round,$side${line#\{}" >>"$RESULTS"
  log "round $round $leg $mode: $(grep -o '"qps":[0-9.]*\|"p99_us":[0-9.]*\|"errors":[0-9]*' <<<"$line" | tr '\n' ' ')${summary:+| reloads: $(grep -o '"reloads":[0-9]*\|"not_applied":[0-9]*\|"reload_p50_ms":[0-9.]*\|"reload_max_ms":[0-9.]*' <<<"$summary" | tr '\n' ' ')}"
}

for leg in ${LEGS//,/ }; do
  dir=$TMP/$leg
  mkdir -p "$dir"
  module_opts=()
  if [[ $leg == native ]]; then
    codec=dubbo
  else
    if [[ ! -f $WASM_MODULE ]]; then
      NOTES+=("wasm leg skipped: $WASM_MODULE does not exist.")
      continue
    fi
    # Two module files with different bytes, the same code: the second carries one more custom
    # section (id 0, 23 bytes: name length 21, "protean-bench-variant", one byte "b").
    cp "$WASM_MODULE" "$dir/module-a.wasm"
    cp "$WASM_MODULE" "$dir/module-b.wasm"
    printf '\x00\x17\x15protean-bench-variantb' >>"$dir/module-b.wasm"
    cp "$dir/module-a.wasm" "$dir/dubbo.wasm"
    codec="{wasm: {module: $dir/dubbo.wasm}}"
    module_opts=(--module "$dir/dubbo.wasm" --module-variant "$dir/module-a.wasm" --module-variant "$dir/module-b.wasm")
  fi
  variant "$leg" "$codec" a >"$dir/a.yaml"
  variant "$leg" "$codec" b >"$dir/b.yaml"
  cp "$dir/a.yaml" "$dir/protean.yaml"

  # shellcheck disable=SC2086
  taskset -c "$PROXY_CPUS" java $PROTEAN_JAVA_OPTS -jar "$PROTEAN_JAR" run -c "$dir/protean.yaml" \
    >"$TMP/protean-$leg.log" 2>&1 &
  PROTEAN_PID=$!
  PIDS+=("$PROTEAN_PID")
  ready=
  for _ in $(seq 60); do
    kill -0 "$PROTEAN_PID" 2>/dev/null || break
    [[ $(http_status "$ADMIN_PORT" /ready) == 200 ]] && { ready=1; break; }
    sleep 0.5
  done
  if [[ -z $ready ]]; then
    NOTES+=("$leg leg skipped: Protean was not ready within 30 s. Last log lines: $(tail -3 "$TMP/protean-$leg.log" | tr '\n' ' ' | cut -c1-400)")
    log "${NOTES[-1]}"
    stop_pid "$PROTEAN_PID"
    continue
  fi
  log "$leg: Protean ready on 127.0.0.1:$LISTEN_PORT (pid $PROTEAN_PID, codec $codec)"

  # The storm driver: one process for the whole leg, so steady rounds see it too (idle).
  # shellcheck disable=SC2086
  coproc STORM { exec taskset -c "$DRIVER_CPUS" java $JAVA_OPTS -cp "$BENCH_JAR" io.protean.bench.ReloadStorm \
    --admin "127.0.0.1:$ADMIN_PORT" --config "$dir/protean.yaml" --variant "$dir/a.yaml" \
    --variant "$dir/b.yaml" "${module_opts[@]}" --interval-ms "$INTERVAL_MS" --kind "$KIND" --log "$RELOADS" \
    2>"$TMP/storm.err"; }
  STORM_PID_=$STORM_PID
  PIDS+=("$STORM_PID_")

  if [[ $leg == wasm ]]; then
    check=$(storm_cmd check-module)
    echo "{\"leg\":\"$leg\",${check#\{}" >>"$RESULTS"
    log "wasm: a reload with only the module file changed: $check"
  fi
  if [[ $PRIME != 0 ]]; then
    # JIT-warm the proxy's data path and its reload path, unrecorded.
    log "$leg: priming through Protean for ${PRIME}s with a storm (not recorded)"
    storm_cmd "start $leg:prime"
    load "$LISTEN_PORT" 0 "$PRIME" >/dev/null
    prime=$(storm_cmd stop)
    echo "{\"leg\":\"$leg\",\"round\":0,${prime#\{}" >>"$RESULTS"
  fi
  log "$leg: $ROUNDS round(s) of [steady, storm] (order alternating), ${WARMUP}s warm-up + ${DURATION}s each, one reload per ${INTERVAL_MS} ms in storms; $PLACEMENT"
  for round in $(seq "$ROUNDS"); do
    if (( round % 2 == 1 )); then order="steady storm"; else order="storm steady"; fi
    for mode in $order; do
      measure "$leg" "$mode" "$round" "$PROTEAN_PID"
    done
  done
  storm_cmd quit
  for _ in $(seq 50); do kill -0 "$STORM_PID_" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$STORM_PID_"
  grep -q "Exception" "$TMP/storm.err" && { log "storm driver:"; tail -5 "$TMP/storm.err" >&2; }
  stop_pid "$PROTEAN_PID"
done

# ---- report ---------------------------------------------------------------------------------------
mkdir -p "$ROOT/bench/results"
STAMP=reload-$(date +%Y%m%d-%H%M%S)
REPORT=$ROOT/bench/results/$STAMP.md
{
  echo "# Protean reload storm, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- Command: \`bash bench/reload.sh${ARGS_GIVEN:+ $ARGS_GIVEN}\`."
  echo "- Workload: closed loop, $CONNECTIONS connections × $INFLIGHT requests in flight, Dubbo \`EchoService.echo\` with a $PAYLOAD-byte string, ${WARMUP} s warm-up + ${DURATION} s measured; $ROUNDS round(s) per leg, each a steady and a storm measurement (steady first in odd rounds, storm first in even ones)."
  case $CHANGES in
    all) CHANGE_TEXT="route order flipped, so every call goes to cluster blue or to cluster green (both: provider A, each its own connections); provider B added to and removed from blue's endpoints while blue has no calls; a cluster \`spare\` added and removed (\`--changes all\`)" ;;
    routes) CHANGE_TEXT="route order flipped, so every call goes to cluster blue or to cluster green (both: provider A, each its own connections), nothing else (\`--changes routes\`)" ;;
    stay) CHANGE_TEXT="the route to blue matching on \`method\` or on \`interface\`, every call staying on blue (provider A); provider B added to and removed from the idle cluster green; a cluster \`spare\` added and removed (\`--changes stay\`)" ;;
    spread) CHANGE_TEXT="route order flipped (blue or green, both provider A), and provider B added to and removed from green while green has the calls: every other reload opens connections to it and the calls spread over two providers (\`--changes spread\`: the load side's work differs between the two configurations)" ;;
    providers) CHANGE_TEXT="route order flipped, the calls moving between cluster blue (provider A) and cluster green (provider B) (\`--changes providers\`: two provider processes, which need not be equally fast)" ;;
  esac
  echo "- Storm: one \`POST /reload\` every ${INTERVAL_MS} ms from the start of the generator's warm-up to its end, the file alternating between two configurations: $CHANGE_TEXT. Every answer must be \`applied\` with the next version. Steady rounds run \`a\` in odd rounds and \`b\` in even ones (one reload before the round when needed)."
  echo "- Servers: two Apache Dubbo 3.3.6 providers (A and B), dispatcher \`direct\`, primed ${PRIME} s each; the proxy primed ${PRIME} s with a storm before round 1."
  echo "- Protean: \`workers: 1\`, \`connections_per_endpoint: $UPSTREAM\`; legs: ${LEGS//,/, } (\`native\`: \`codec: dubbo\`; \`wasm\`: \`codec: {wasm: {module: ...}}\`, $(basename "$WASM_MODULE"), Endive compiler)."
  echo "- Machine: $NCPU CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r); other work may share it."
  echo "- Placement: $PLACEMENT."
  case $KIND in
    unchanged) echo "- **Control storm** (\`--kind unchanged\`): the file is never rewritten, and every \`POST /reload\` must answer \`unchanged\`: the proxy reads, parses and builds, and swaps nothing." ;;
    ready) echo "- **Control storm** (\`--kind ready\`): \`GET /ready\` instead of each reload: the driver's and the admin endpoint's own share." ;;
  esac
  for note in "${NOTES[@]}"; do echo "- $note"; done
  echo
  java -cp "$BENCH_JAR" io.protean.bench.ReloadReport "$RESULTS" "$RELOADS" "$TMP/timeline" && REPORT_RC=0 || REPORT_RC=$?
  echo "$REPORT_RC" >"$TMP/report.rc"
} >"$REPORT"
cp "$RELOADS" "$ROOT/bench/results/$STAMP-reloads.jsonl"
if [[ $TIMELINE == 1 ]]; then
  mkdir -p "$ROOT/bench/results/$STAMP-timeline"
  cp "$TMP"/timeline/*.jsonl "$ROOT/bench/results/$STAMP-timeline/" 2>/dev/null || true
fi
cat "$REPORT"
log "report: $REPORT (every reload: bench/results/$STAMP-reloads.jsonl)"
exit "$(cat "$TMP/report.rc")"
