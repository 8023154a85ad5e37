#!/usr/bin/env bash
# Every TokenScope test, in order of cost: format and lints, the native core and CLI tests
# (golden fixtures vs PyTorch), the same core tests compiled to wasm32, the page build, and
# the page in headless Chromium. Run through `./dev test`, which installs the tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true

step() { echo; echo "=== $* ==="; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings (native and wasm32)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p tokenscope-web -p tokenscope-core -p tokenscope-views -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p tokenscope-core --tests -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p tokenscope-web --features relaxed-simd -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p tokenscope-web --features threads -- -D warnings
cargo clippy -p tokenscope-core --features threads --tests -- -D warnings

step "native tests"
cargo test --workspace

step "the threads build's splits, in a native pool: the same bits as one thread"
cargo test -p tokenscope-core --features threads --lib

step "core tests in wasm32 (wasm-bindgen-test under node)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown -p tokenscope-core --test wasm --test wasm_llama

step "the same with relaxed SIMD's fused multiply-add (the page's worker in Chrome)"
# Node 20 runs relaxed SIMD behind a flag; the golden tolerances are the same.
NODE_ARGS=--experimental-wasm-relaxed-simd \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown -p tokenscope-core --features relaxed-simd \
  --test wasm --test wasm_llama

step "page build (trunk; its hook builds the threads worker)"
trunk build

step "page tests in headless Chromium"
node --test tests/e2e/
