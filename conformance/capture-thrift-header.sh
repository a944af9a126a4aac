#!/usr/bin/env bash
# Regenerates conformance/vectors/thrift/header-*/ from real THeader traffic (see
# capture-thrift-header.py). Run from anywhere; installs the peers first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/proxy/src/test/thrift/peers.sh"
"$root/proxy/target/thrift-peers/venv/bin/python" "$root/conformance/capture-thrift-header.py"
ls "$root"/conformance/vectors/thrift/header-*
