#!/usr/bin/env bash
# Builds the example Go codecs and filter into wasm/ with the upstream Go toolchain
# (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, //go:wasmexport).
#   ./build.sh          run the native unit tests, build, copy the modules to wasm/
#   ./build.sh --check  rebuild in a temporary copy and fail if any committed module differs
# The Go release is pinned (GOTOOLCHAIN) because it is part of the bytes: another release builds
# another module. The go command fetches that release from the Go module proxy when needed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
release=go1.26.8
export GOTOOLCHAIN=$release GOFLAGS="-buildvcs=false -trimpath" CGO_ENABLED=0

# Without a go command (or one too old to switch toolchains itself), unpack the pinned release
# from the Go module proxy, where the go command itself would fetch it.
if ! command -v go >/dev/null || ! go version >/dev/null 2>&1; then
  dir=${GO_TOOLCHAIN_DIR:-$HOME/.cache/protean-go/$release}
  if [[ ! -x $dir/bin/go ]]; then
    echo "fetching $release from proxy.golang.org" >&2
    zip="$(mktemp)"
    curl -fsSL "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$release.linux-amd64.zip" -o "$zip"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$dir.tmp"
    mv "$dir.tmp/golang.org/toolchain@v0.0.1-$release.linux-amd64" "$dir"
    chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
    rm -rf "$zip" "$dir.tmp"
  fi
  export PATH=$dir/bin:$PATH
fi
# name=package: each becomes wasm/<name>.wasm
modules=(tinyrpc=./codecs/tinyrpc thrift=./codecs/thrift dubbo=./codecs/dubbo tenant_guard_filter=./filters/tenant_guard)

build() {  # build DIR OUT: builds every module of the tree in DIR into OUT
  local dir=$1 out=$2
  for m in "${modules[@]}"; do
    (cd "$dir" && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "$out/${m%%=*}.wasm" "${m#*=}")
  done
}

if [[ ${1:-} == --check ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp -r "$here/." "$tmp/src"
  mkdir "$tmp/out"
  build "$tmp/src" "$tmp/out"
  bad=0
  for m in "${modules[@]}"; do
    name=${m%%=*}
    if ! cmp -s "$tmp/out/$name.wasm" "$here/wasm/$name.wasm"; then
      echo "example-codecs-tinygo/wasm/$name.wasm does not match its sources (rebuild: example-codecs-tinygo/build.sh)" >&2
      bad=1
    fi
  done
  exit $bad
fi

(cd "$here" && go vet ./... && go test ./...)
build "$here" "$here/wasm"
ls -l "$here"/wasm/*.wasm
