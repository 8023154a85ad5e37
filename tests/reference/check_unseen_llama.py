#!/usr/bin/env python3
"""Checks `tokenscope inspect` against PyTorch on modern decoders no fixture holds: fresh
random llama, mistral, qwen2 and qwen3 models of other sizes, seeds and rope settings (linear
and dynamic scaling, a hub-style config with top-level `rope_theta` + `rope_scaling`, one
model saved in shards), on texts no fixture uses. Prints the largest difference per tensor and
exits 1 if any exceeds its tolerance.

    HF_HUB_OFFLINE=1 python tests/reference/check_unseen_llama.py
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config

sys.path.insert(0, str(Path(__file__).parent))
from check_unseen import compare, inspect  # noqa: E402
from generate import ROOT  # noqa: E402
from generate_llama import (  # noqa: E402
    LLAMA3_SPLIT,
    QWEN2_SPLIT,
    build,
    fast,
    split_bpe_tokenizer,
    trace,
)

TEXTS = [
    "Why did the student bring a ladder to class? To reach the high marks.",
    "Mary's 3 cats, 27 dogs and 1000 fish all live at 42 Elm St.",
    "学生们 celebrate 🎓 — the party's over, isn't it?",
]
# The project's tolerances for these models: attentions, q/k/v and next-token probabilities
# within 1e-5; hidden states within 1e-4, and the raw scores with them (both grow with the
# residual stream, and f32 rounding of two summation orders grows with them).
LIMITS = {"attentions": 1e-5, "qkv.query": 1e-5, "qkv.key": 1e-5, "qkv.value": 1e-5,
          "qkv.query_unrotated": 1e-5, "qkv.key_unrotated": 1e-5,
          "hidden_states": 1e-4, "scores": 1e-4}


def to_hub_style(folder: Path) -> None:
    """Rewrites transformers 5's `rope_parameters` as hub configs write it: `rope_theta` at the
    top level and the scaling in `rope_scaling` with the older `type` key."""
    path = folder / "config.json"
    config = json.loads(path.read_text())
    rope = config.pop("rope_parameters")
    config["rope_theta"] = rope.pop("rope_theta")
    kind = rope.pop("rope_type")
    config["rope_scaling"] = None if kind == "default" else {"type": kind, **rope}
    path.write_text(json.dumps(config, indent=2))


def main():
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    subprocess.run(["cargo", "build", "-q", "--release", "--bin", "tokenscope"], cwd=ROOT, check=True)
    llama_tok = split_bpe_tokenizer(LLAMA3_SPLIT, ["<|begin_of_text|>", "<|end_of_text|>"], "<|begin_of_text|>")
    qwen_tok = split_bpe_tokenizer(QWEN2_SPLIT, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], None)
    specs = {
        # 3 layers, 6 query heads over 3 key/value heads, linear scaling, hub-style config.
        "llama-linear-hub": (LlamaConfig(
            vocab_size=llama_tok.get_vocab_size(), hidden_size=96, num_hidden_layers=3,
            intermediate_size=160, num_attention_heads=6, num_key_value_heads=3,
            max_position_embeddings=128, rms_norm_eps=1e-6, tie_word_embeddings=True,
            bos_token_id=0, eos_token_id=1,
            rope_parameters={"rope_type": "linear", "rope_theta": 500000.0, "factor": 4.0}),
            llama_tok, 101, 2.0, "hub"),
        # Dynamic NTK scaling: within max_position_embeddings (TokenScope reads no further)
        # transformers keeps the default frequencies, and so must we.
        "llama-dynamic": (LlamaConfig(
            vocab_size=llama_tok.get_vocab_size(), hidden_size=48, num_hidden_layers=2,
            intermediate_size=72, num_attention_heads=4, num_key_value_heads=4,
            max_position_embeddings=96, rms_norm_eps=1e-5, tie_word_embeddings=False,
            attention_bias=True, bos_token_id=0, eos_token_id=1,
            rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}),
            llama_tok, 102, 3.0, None),
        # Mistral in shards, window 7, two key/value heads.
        "mistral-sharded": (MistralConfig(
            vocab_size=llama_tok.get_vocab_size(), hidden_size=80, num_hidden_layers=3,
            intermediate_size=120, num_attention_heads=4, num_key_value_heads=2, head_dim=20,
            sliding_window=7, max_position_embeddings=128, rms_norm_eps=1e-5,
            tie_word_embeddings=False, bos_token_id=0, eos_token_id=1,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
            llama_tok, 103, 3.0, "shards"),
        # Qwen2 untied, 3 layers, multi-query.
        "qwen2-mqa": (Qwen2Config(
            vocab_size=qwen_tok.get_vocab_size() + 40, hidden_size=72, num_hidden_layers=3,
            intermediate_size=100, num_attention_heads=6, num_key_value_heads=1,
            max_position_embeddings=128, rms_norm_eps=1e-6, tie_word_embeddings=False,
            eos_token_id=0, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
            qwen_tok, 104, 3.0, "hub"),
        # Qwen3 tied, head_dim 24 with hidden 48 and 6 heads (≠ hidden / heads).
        "qwen3-wide-heads": (Qwen3Config(
            vocab_size=qwen_tok.get_vocab_size(), hidden_size=48, num_hidden_layers=3,
            intermediate_size=96, num_attention_heads=6, num_key_value_heads=2, head_dim=24,
            max_position_embeddings=128, rms_norm_eps=1e-6, tie_word_embeddings=True,
            eos_token_id=0, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
            qwen_tok, 105, 2.0, None),
    }
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, (config, tok, seed, head_scale, form) in specs.items():
            folder = Path(tmp) / name
            model = build(folder, config, tok, seed, head_scale)
            if form == "shards":
                for file in folder.glob("model*.safetensors*"):
                    file.unlink()
                model.save_pretrained(folder, safe_serialization=True, max_shard_size="100KB")
                assert (folder / "model.safetensors.index.json").exists()
            elif form == "hub":
                to_hub_style(folder)
            model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
            tokenizer = fast(folder)
            for text in TEXTS:
                label = f"{name} {text[:16]}"
                ref, meta = trace(model, tokenizer, text)
                ours = inspect(folder, text)
                assert ours["ids"] == meta["ids"], (ours["ids"], meta["ids"])
                # One key at a time, so a difference in one still lets the others print.
                ok &= all([compare(label, ours, ref, limit, [key]) for key, limit in LIMITS.items()])
                top = torch.topk(ref["next_token_probs"][-1], 10)
                ours_top = ours["next_token"]["top"]
                assert [e["id"] for e in ours_top] == top.indices.tolist(), "next-token ranking"
                diff = max(abs(e["prob"] - p) for e, p in zip(ours_top, top.values.tolist()))
                print(f"{label}: next_token.top          largest difference {diff:.2e}")
                ok &= diff <= 1e-5
    print("all within tolerance" if ok else "SOME DIFFERENCES EXCEED TOLERANCE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
