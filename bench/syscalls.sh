#!/usr/bin/env bash
# What the kernel sees per request, HAProxy (mode tcp) against Protean (native codec), under the
# same closed-loop load: the proxy's CPU, its syscalls (perf tracepoints on the proxy process) and
# the TCP segments of each hop (ss counters of the sockets on the proxy's and the server's ports).
# Measured alternately, HAProxy then Protean, for --rounds rounds.
# Usage: bash bench/syscalls.sh [--protocol dubbo|thrift] [--rounds R] [--duration S]
# Env: PROTEAN_JAR (default proxy/target/protean.jar), PORT_BASE (default 29970).
# Needs perf (Debian linux-perf) and the right to trace (root, or perf_event_paranoid <= 1).
# Loopback only; every process it starts is ended on exit.
set -euo pipefail
PROTOCOL=dubbo ROUNDS=2 DURATION=5
while [[ $# -gt 0 ]]; do
  case $1 in
    --protocol) PROTOCOL=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    *) sed -n 2,9p "$0" >&2; exit 2 ;;
  esac
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_JAR=$ROOT/bench/target/protean-bench.jar
PROTEAN_JAR=${PROTEAN_JAR:-$ROOT/proxy/target/protean.jar}
PORT_BASE=${PORT_BASE:-29970}
SERVER_PORT=$PORT_BASE PROTEAN_PORT=$((PORT_BASE + 1)) HAPROXY_PORT=$((PORT_BASE + 2)) ADMIN_PORT=$((PORT_BASE + 3))
for f in "$BENCH_JAR" "$PROTEAN_JAR"; do
  [[ -f $f ]] || { echo "$f is missing: mvn -B -q install -DskipTests" >&2; exit 1; }
done
for tool in haproxy perf ss taskset python3; do
  command -v $tool >/dev/null || { echo "missing $tool (Debian: haproxy, linux-perf, iproute2)" >&2; exit 1; }
done
perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1 \
  || { echo "perf cannot trace syscalls here (run as root or lower kernel.perf_event_paranoid)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/protean-syscalls.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  exec 3>&- 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$TMP/server.stdin"
exec 3<>"$TMP/server.stdin"
if [[ $PROTOCOL == dubbo ]]; then
  SERVER=(io.protean.bench.DubboProviderMain "$SERVER_PORT" --dispatcher direct)
else
  SERVER=(io.protean.bench.ThriftServerMain "$SERVER_PORT" --workers 2)
fi
taskset -c 0 java -Xms256m -Xmx512m -Ddubbo.service.shutdown.wait=0 -Ddubbo.application.qos-enable=false \
  -cp "$BENCH_JAR" "${SERVER[@]}" <"$TMP/server.stdin" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 600); do grep -q '^READY' "$TMP/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^READY' "$TMP/server.log" || { cat "$TMP/server.log" >&2; exit 1; }

cat >"$TMP/protean.yaml" <<EOF
workers: 1
admin: {address: 127.0.0.1:$ADMIN_PORT}
listeners:
  - {name: bench, address: 127.0.0.1:$PROTEAN_PORT, codec: $PROTOCOL, routes: [{cluster: server}]}
clusters:
  - {name: server, connections_per_endpoint: 2, endpoints: ["127.0.0.1:$SERVER_PORT"]}
EOF
taskset -c 1 java -Xms256m -Xmx512m -XX:-DontCompileHugeMethods -jar "$PROTEAN_JAR" run -c "$TMP/protean.yaml" \
  >"$TMP/protean.log" 2>&1 &
PIDS+=($!)
PROTEAN_PID=$!
printf 'global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nfrontend f\n  bind 127.0.0.1:%s\n  default_backend b\nbackend b\n  server s 127.0.0.1:%s\n' \
  "$HAPROXY_PORT" "$SERVER_PORT" >"$TMP/haproxy.cfg"
taskset -c 1 haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
PIDS+=($!)
HAPROXY_PID=$!
for _ in $(seq 60); do
  timeout 1 bash -c "exec 9<>/dev/tcp/127.0.0.1/$PROTEAN_PORT" 2>/dev/null && break
  sleep 0.5
done

load() {  # load PORT PROXY_PID WARMUP DURATION: one generator run, its JSON line on stdout
  taskset -c 0 java -Xms256m -Xmx512m -cp "$BENCH_JAR" io.protean.bench.RpcLoad --protocol "$PROTOCOL" \
    --target "127.0.0.1:$1" --connections 16 --inflight 8 --payload 64 --warmup "$3" --duration "$4" \
    --proxy-pid "$2" --json 2>"$TMP/gen.err" | grep '^{' || { tail -3 "$TMP/gen.err" >&2; return 1; }
}
# ss counters of every established socket on the proxy's port (client side and proxy side) and on
# the server's port, summed per direction.
segments() {  # segments PROXY_PORT: "direction segs_out data_segs_out" lines
  ss -tinH state established | python3 -c '
import re, sys
proxy, server = ":" + sys.argv[1], ":" + sys.argv[2]
lines = sys.stdin.read().splitlines()
total = {}
for head, info in zip(lines[0::2], lines[1::2]):
    f = head.split()
    local, peer = f[2], f[3]
    key = ("proxy->client" if local.endswith(proxy) else "client->proxy" if peer.endswith(proxy)
           else "proxy->server" if peer.endswith(server) else "server->proxy" if local.endswith(server) else None)
    if key is None:
        continue
    segs = re.search(r"\bsegs_out:(\d+)", info)
    data = re.search(r"\bdata_segs_out:(\d+)", info)
    t = total.setdefault(key, [0, 0])
    t[0] += int(segs.group(1)) if segs else 0
    t[1] += int(data.group(1)) if data else 0
for k, (s, d) in sorted(total.items()):
    print(k, s, d)
' "$1" "$SERVER_PORT"
}

EVENTS=raw_syscalls:sys_enter
for s in read readv recvfrom write writev sendto sendmsg epoll_wait epoll_pwait epoll_pwait2; do
  EVENTS+=",syscalls:sys_enter_$s"
done
echo "# $PROTOCOL, 16 connections x 8 in flight, 64-byte payload; per request in a ${DURATION} s window"
load "$PROTEAN_PORT" "$PROTEAN_PID" 0 10 >/dev/null  # JIT-warm Protean
for round in $(seq "$ROUNDS"); do
  for leg in "haproxy:$HAPROXY_PORT:$HAPROXY_PID" "protean:$PROTEAN_PORT:$PROTEAN_PID"; do
    IFS=: read -r name port pid <<<"$leg"
    load "$port" "$pid" 2 $((DURATION + 3)) >"$TMP/run.json" &
    gen=$!
    sleep 3
    segments "$port" >"$TMP/seg0"
    perf stat -x, -e "$EVENTS" -p "$pid" -- sleep "$DURATION" 2>"$TMP/perf.csv"
    segments "$port" >"$TMP/seg1"
    wait $gen
    python3 - "$name" "$round" "$DURATION" "$TMP/run.json" "$TMP/perf.csv" "$TMP/seg0" "$TMP/seg1" <<'PY'
import json, sys
name, rnd, secs, run, perf, seg0, seg1 = sys.argv[1:]
d = json.load(open(run))
req = d["qps"] * float(secs)  # requests in the perf window, at the generator's measured rate
calls = {}
for line in open(perf):
    f = line.split(",")
    if len(f) > 2 and f[0].strip().isdigit():
        calls[f[2].split(":")[-1].replace("sys_enter_", "")] = int(f[0])
def read(path):
    return {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(path) if l.strip()}
a, b = read(seg0), read(seg1)
total = calls.pop("sys_enter", 0)
out = [f"round {rnd} {name:8s} qps {d['qps']:9.0f}  proxy CPU {d['proxy_cpu_s'] / d['requests'] * 1e5:.2f} s/100k"
       f"  syscalls {total / req:.3f}/req ("
       + ", ".join(f"{k} {v / req:.3f}" for k, v in sorted(calls.items()) if v) + ")"]
for k in sorted(b):
    s = b[k][0] - a.get(k, (0, 0))[0]
    dseg = b[k][1] - a.get(k, (0, 0))[1]
    out.append(f"    {k:14s} segments {s / req:.3f}/req (with data {dseg / req:.3f})")
print("\n".join(out))
PY
  done
done
