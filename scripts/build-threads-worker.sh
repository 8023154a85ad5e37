#!/usr/bin/env bash
# Builds the model worker's two threads builds (tokenscope-worker-threads, and
# tokenscope-worker-threads-relaxed with relaxed SIMD's fused multiply-add) into Trunk's
# staging folder; Trunk runs it as a post-build hook. Trunk cannot build them itself: threads
# need the standard library rebuilt with atomics (`-Z build-std`, which RUSTC_BOOTSTRAP allows
# on the stable toolchain with its rust-src component) and a shared, imported memory, and
# these flags would change every other build. Their own target folder keeps the caches apart.
# (Cargo warns that `atomics` is an unstable target feature: expected.)
set -euo pipefail
cd "$(dirname "$0")/.."
staging="${TRUNK_STAGING_DIR:-dist}"
# Shared memory up to 4 GiB (the one-thread builds' limit too); the TLS exports let
# wasm-bindgen give each thread its own thread-locals and stack.
flags=(
  -C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals
  -C link-arg=--shared-memory -C link-arg=--import-memory
  -C link-arg=--max-memory=4294967296
  -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size
  -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base
)
profile=release folder=release
if [ "${TRUNK_PROFILE:-release}" = "debug" ]; then profile=dev folder=debug; fi
for build in "tokenscope-worker-threads threads" \
             "tokenscope-worker-threads-relaxed threads,relaxed-simd"; do
  read -r name features <<< "$build"
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="${flags[*]}" cargo build --quiet --profile "$profile" \
    --target wasm32-unknown-unknown -Z build-std=std,panic_abort \
    -p tokenscope-web --bin "$name" --features "$features" --target-dir target/threads
  wasm-bindgen --target no-modules --no-typescript --out-dir "$staging" \
    "target/threads/wasm32-unknown-unknown/$folder/$name.wasm"
  if [ "$profile" = "release" ]; then
    wasm-opt -O3 "$staging/${name}_bg.wasm" -o "$staging/${name}_bg.wasm"
  fi
done
