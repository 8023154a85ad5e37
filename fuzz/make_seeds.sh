#!/usr/bin/env bash
# Writes the starting corpus of both fuzz targets (see README.md): valid files behind the
# selector byte of `load_model`, and sentences of the seed article plus hard text for `text`.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../tests/reference/fixtures
mkdir -p corpus/load_model corpus/text
seed() { # NAME SELECTOR_BYTE FILE [HEAD_BYTES]
  local out=corpus/load_model/seed-$1
  printf "\\x$2" > "$out"
  if [ -n "${4:-}" ]; then head -c "$4" "$3" >> "$out"; else cat "$3" >> "$out"; fi
}
header() { # NAME SELECTOR_BYTE SAFETENSORS: only the JSON header after the 8-byte length
  local out=corpus/load_model/seed-$1 length
  length=$(od -An -t u8 -N 8 "$3" | tr -d ' ')
  printf "\\x$2" > "$out"
  dd if="$3" bs=1 skip=8 count="$length" status=none >> "$out"
}
for model in gpt2:0 bert:1; do
  name=${model%%:*} bit=${model##*:}
  dir=$fixtures/tiny-$name
  seed "$name-config" "0$bit" "$dir/config.json"
  seed "$name-weights-truncated" "0$((2 + bit))" "$dir/model.safetensors" 2048
  header "$name-weights-header" "0$((4 + bit))" "$dir/model.safetensors"
  seed "$name-tokenizer" "0$((6 + bit))" "$dir/tokenizer.json"
done
# The llama family (selector bits 3-4, see src/lib.rs): 1 = qwen3 / mistral, 2 = llama / qwen2,
# 3 = the sharded llama, whose "weights" are shard 4 and "header" the index.
for model in qwen3:08 mistral:09 llama:10 qwen2:11; do
  name=${model%%:*} base=$((16#${model##*:}))
  dir=$fixtures/tiny-$name
  seed "$name-config" "$(printf %02x "$base")" "$dir/config.json"
  header "$name-weights-header" "$(printf %02x $((base + 4)))" "$dir/model.safetensors"
  seed "$name-tokenizer" "$(printf %02x $((base + 6)))" "$dir/tokenizer.json"
done
sharded=$fixtures/tiny-llama-sharded
seed sharded-config 18 "$sharded/config.json"
seed sharded-shard 1a "$sharded/model-00004-of-00010.safetensors"
seed sharded-index 1c "$sharded/model.safetensors.index.json"
text() { printf '%s' "$2" > "corpus/text/seed-$1"; }
text seed-1 "students celebrate the graduation with a big party"
text seed-2 "deputy leader is highly respected in the party"
text pair "students celebrate the graduation with a big party	deputy leader is highly respected in the party"
text emoji "party 🎉🎓 time 👩‍🎓"
text cjk "学生们用盛大的派对庆祝毕业"
text rtl "الطلاب يحتفلون بالتخرج"
text zero-width "par​ty‌ ‍ and ﻿bom"
text control "$(printf 'a\x01b\x7f\rc\x1b[31m')"
text html '<script>alert(1)</script><b onclick="x()">party</b>'
text long "$(printf 'a %.0s' $(seq 520))" # past the tiny models' 64 positions and MiniLM's 512
text spaces "      "
