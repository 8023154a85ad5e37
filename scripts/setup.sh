#!/usr/bin/env bash
# Installs TokenScope's pinned toolchain on a Debian machine with rustup, skipping whatever
# is already present at the right version. `--browser` adds Chromium for the page tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

say() { echo "setup: $*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# rust-src: the threads worker rebuilds the standard library with atomics.
for component in rustfmt clippy rust-src; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 12 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt (binaryen 132; Debian's 108 corrupts wasm-bindgen output) and Playwright.
if ! node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version 132" \
   || [ ! -d node_modules/playwright-core ]; then
  command -v npm >/dev/null || { say "installing node and npm"; apt-get update -qq && apt-get install -y -qq nodejs npm; }
  say "installing pinned npm tools"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null; then
  say "installing Debian's chromium for the page tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver
fi

# The Chinese interface's screenshots need a CJK font; the page itself uses the system's.
if [ "${1:-}" = "--browser" ] && ! fc-list 2>/dev/null | grep -qi "cjk"; then
  say "installing a CJK font for the Chinese screenshots"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq fonts-noto-cjk
fi
