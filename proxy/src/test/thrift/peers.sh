#!/usr/bin/env bash
# Installs the non-Java Thrift peers of the end-to-end tests into proxy/target/thrift-peers/:
# the Python `thrift` package (PyPI, in a venv) and the Go client (go/client, built on the Go
# library github.com/apache/thrift). Quick when they are already there; .ci/run runs it before
# the build, the tests run it again (and fail with its output if it fails).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../../../target/thrift-peers"
python_thrift=0.25.0
mkdir -p "$out"

if [[ ! -f $out/venv/thrift-$python_thrift ]]; then
  rm -rf "$out/venv"
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet --disable-pip-version-check "thrift==$python_thrift"
  touch "$out/venv/thrift-$python_thrift"
fi

# The pinned toolchain that example-codecs-tinygo/build.sh unpacks when the machine has no go.
if ! command -v go >/dev/null && [[ -x $HOME/.cache/protean-go/go1.26.8/bin/go ]]; then
  export PATH=$HOME/.cache/protean-go/go1.26.8/bin:$PATH
fi
(cd "$here/go" && GOFLAGS=-buildvcs=false go build -o "$out/go-client" ./client)
