#!/usr/bin/env bash
# Runs every speed measurement in one session on this machine and prints bench/README.md's
# table: TokenScope (native criterion and wasm in Chromium) against PyTorch CPU (1 and 2
# threads), onnxruntime native and onnxruntime-web (wasm, 1 thread), on the same MiniLM and
# the same token ids. Needs what `./dev test` installs, plus a Python venv with
# bench/requirements.txt (PYTHON=/path/to/venv/bin/python) and bench/package.json's npm
# packages. Run it on a quiet machine: the numbers are medians, not limits.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export HF_HUB_OFFLINE=1 TRUNK_SKIP_VERSION_CHECK=true
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
mkdir -p bench/out
[ -d bench/node_modules/onnxruntime-web ] || npm ci --prefix bench --no-audit --no-fund
[ -f bench/out/minilm-attentions.onnx ] || "$PYTHON" bench/export_onnx.py
trunk build --release
cargo bench -p tokenscope-core --bench forward -- --noplot 2>&1 | tee bench/out/criterion.txt
"$PYTHON" bench/peers.py
node bench/speed.mjs > /dev/null
node bench/table.mjs
