# Sourced by build.sh and sdk-examples.sh: installs Debian's rustc-web toolchain when missing
# (rustup has no wasm32 std here, so std is built from rust-web-src with -Zbuild-std).
need=()
[[ -x /usr/bin/rustc && -x /usr/bin/cargo ]] || need+=(rustc-web cargo-web)
[[ -d /usr/lib/rustlib/src/rust/library ]] || need+=(rust-web-src)
command -v lld-22 >/dev/null || command -v wasm-ld-22 >/dev/null || need+=(lld-22)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
