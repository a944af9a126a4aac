#!/usr/bin/env bash
# Builds the example Wasm codecs into wasm/ with Debian's rustc-web toolchain (rustup has no
# wasm32 std here, so std is built from rust-web-src with -Zbuild-std).
#   ./build.sh          build, run the native unit tests, copy the modules to wasm/
#   ./build.sh --check  rebuild in a temporary copy (another path: proves the build does not
#                       depend on where it runs) and fail if any committed module differs
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
modules=(tinyrpc dubbo deny_method_filter)

source "$here/toolchain.sh"

build() {  # build DIR: builds the workspace in DIR
  local dir=$1
  (
    cd "$dir"
    export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1
    # Paths are remapped so the bytes do not depend on where the tree or cargo's cache is.
    export RUSTFLAGS="--remap-path-prefix=$dir=/protean --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo -C target-feature=-simd128"
    cargo build -q --release --locked --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort \
      "${modules[@]/#/-p=}"
  )
}

if [[ ${1:-} == --check ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp -r "$here/." "$tmp/"
  rm -rf "$tmp/target"
  build "$tmp"
  bad=0
  for m in "${modules[@]}"; do
    if ! cmp -s "$tmp/target/wasm32-unknown-unknown/release/$m.wasm" "$here/wasm/$m.wasm"; then
      echo "example-codecs-rust/wasm/$m.wasm does not match its sources (rebuild: example-codecs-rust/build.sh)" >&2
      bad=1
    fi
  done
  exit $bad
fi

(cd "$here" && PATH=/usr/bin:$PATH cargo test -q --locked --workspace --exclude protean-codec-sdk)
build "$here"
for m in "${modules[@]}"; do
  cp "$here/target/wasm32-unknown-unknown/release/$m.wasm" "$here/wasm/$m.wasm"
done
ls -l "$here"/wasm/*.wasm
