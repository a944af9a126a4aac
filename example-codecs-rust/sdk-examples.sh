#!/usr/bin/env bash
# Builds the example filters that ship inside the crates.io proxy-wasm 0.2.0 package
# (hello_world, http_auth_random, http_body, http_config, http_headers), unmodified, into the
# repository's target/proxy-wasm-0.2.0-examples/ (outside this Cargo workspace, which would
# otherwise claim the package). cargo fetches the package from crates.io; nothing fetched
# or built here is committed. The toolchain is build.sh's (Debian's rustc-web, -Zbuild-std).
# The proxy's SdkExamplesTest runs this when the modules are missing; .ci/run runs it first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version=0.2.0
examples=(hello_world http_auth_random http_body http_config http_headers)
work="$here/../target/proxy-wasm-sdk"
out="$here/../target/proxy-wasm-$version-examples"

source "$here/toolchain.sh"
# proxy-wasm 0.2.0 declares its host functions without a wasm import module; today's wasm-ld
# refuses undefined symbols unless told they are imports (later SDK releases say so themselves).
export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C target-feature=-simd128 -C link-arg=--allow-undefined"

# A throw-away crate that depends on the exact version makes cargo fetch and unpack it.
mkdir -p "$work/fetch/src"
cat > "$work/fetch/Cargo.toml" <<TOML
[package]
name = "fetch-proxy-wasm"
version = "0.0.0"
edition = "2021"
[dependencies]
proxy-wasm = "=$version"
TOML
: > "$work/fetch/src/lib.rs"
(cd "$work/fetch" && cargo fetch -q)
src="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "proxy-wasm-$version" | head -1)"
[[ -n $src ]] || { echo "cargo did not unpack proxy-wasm $version" >&2; exit 1; }

# Build the package's own examples in a copy of it (the registry copy stays read-only).
rm -rf "$work/proxy-wasm-$version"
cp -r "$src" "$work/proxy-wasm-$version"
(
  cd "$work/proxy-wasm-$version"
  cargo build -q --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort \
    "${examples[@]/#/--example=}"
)
mkdir -p "$out"
for e in "${examples[@]}"; do
  cp "$work/proxy-wasm-$version/target/wasm32-unknown-unknown/release/examples/$e.wasm" "$out/$e.wasm"
done
ls -l "$out"
