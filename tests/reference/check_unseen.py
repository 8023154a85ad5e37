#!/usr/bin/env python3
"""Checks `tokenscope inspect` against PyTorch on models and sentences no fixture holds:
a fresh random GPT-2 with GPT-2's real 50,257-token vocabulary (saved with hub-style bare
tensor names), a fresh random BERT, and the embedded MiniLM on new sentences. Prints the
largest difference per tensor and exits 1 if any exceeds its tolerance.

    HF_HUB_OFFLINE=1 python tests/reference/check_unseen.py --minilm-source /path/to/model
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel

sys.path.insert(0, str(Path(__file__).parent))
from generate import (  # noqa: E402
    BUNDLE,
    FIXTURES,
    ROOT,
    fast_tokenizer,
    randomize,
    tiny_wordpiece_tokenizer,
    trace_bert,
    trace_gpt2,
)

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Attention is all you need, or so they say!",
    "银行 river bank 🎉 don't panic",
]


def inspect(model_dir: Path, text: str, pair=None):
    cmd = ["cargo", "run", "-q", "--release", "--bin", "tokenscope", "--", "inspect",
           "--model", str(model_dir), "--text", text, "--top", "10"]
    if pair:
        cmd += ["--pair", pair]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return json.loads(out.stdout)


def compare(label, ours, reference, tolerance, keys):
    for key in keys:
        value = ours
        for part in key.split("."):
            value = value[part]
        ref = reference[key].float()
        delta = (torch.tensor(value) - ref).abs()
        diff = delta.max().item()
        at = ref.flatten()[delta.flatten().argmax()].abs().item()
        # f32 spacing at the reference value: how many representable steps apart we are.
        ulps = diff / max(torch.finfo(torch.float32).eps * max(at, 1e-30), 1e-45)
        flag = "ok" if diff <= tolerance else "FAIL"
        print(f"{label}: {key:22s} largest difference {diff:.2e} at |value| {at:.3g}"
              f" (~{ulps:.0f} f32 steps; {flag}, limit {tolerance:.0e})")
        if diff > tolerance:
            return False
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minilm-source", type=Path, required=True)
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    ok = True
    subprocess.run(["cargo", "build", "-q", "--release", "--bin", "tokenscope"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # GPT-2 with the real vocabulary and bare (hub-style) tensor names.
        gpt2_dir = tmp / "gpt2"
        gpt2_dir.mkdir()
        config = GPT2Config(vocab_size=50257, n_embd=96, n_layer=3, n_head=6, n_positions=256)
        model = GPT2LMHeadModel(config)
        randomize(model, seed=777)
        model.tie_weights()
        model.config.save_pretrained(gpt2_dir)
        state = {k.removeprefix("transformer."): v.contiguous() for k, v in model.state_dict().items()
                 if not k.startswith("lm_head")}
        save_file(state, str(gpt2_dir / "model.safetensors"), metadata={"format": "pt"})
        (gpt2_dir / "tokenizer.json").write_bytes((FIXTURES / "gpt2-tokenizer.json").read_bytes())
        model = GPT2LMHeadModel.from_pretrained(gpt2_dir, attn_implementation="eager").eval()
        tok = fast_tokenizer(gpt2_dir)
        for text in SENTENCES:
            ref, meta = trace_gpt2(model, tok, text)
            ours = inspect(gpt2_dir, text)
            assert ours["ids"] == meta["ids"], (ours["ids"], meta["ids"])
            ok &= compare("gpt2 " + text[:20], ours, ref, 1e-5,
                          ["attentions", "hidden_states", "qkv.query", "qkv.key", "qkv.value", "scores"])
            probs = ref["next_token_probs"][-1]
            top = torch.topk(probs, 10)
            ours_top = ours["next_token"]["top"]
            assert [e["id"] for e in ours_top] == top.indices.tolist(), "next-token ranking"
            diff = max(abs(e["prob"] - p) for e, p in zip(ours_top, top.values.tolist()))
            print(f"gpt2 {text[:20]}: next_token.top          largest difference {diff:.2e}")
            ok &= diff <= 1e-5

        # A fresh BERT, different sizes and seed from the fixture's.
        bert_dir = tmp / "bert"
        tok_obj = tiny_wordpiece_tokenizer()
        cfg = BertConfig(vocab_size=tok_obj.get_vocab_size(), hidden_size=48, num_hidden_layers=3,
                         num_attention_heads=3, intermediate_size=80, max_position_embeddings=128)
        bert = BertModel(cfg, add_pooling_layer=False)
        randomize(bert, seed=99)
        bert.save_pretrained(bert_dir, safe_serialization=True)
        tok_obj.save(str(bert_dir / "tokenizer.json"))
        bert = BertModel.from_pretrained(bert_dir, attn_implementation="eager").eval()
        btok = fast_tokenizer(bert_dir)
        for text, pair in [(SENTENCES[0], None), (SENTENCES[1], SENTENCES[2])]:
            ref, meta = trace_bert(bert, btok, text, pair)
            ours = inspect(bert_dir, text, pair)
            assert ours["ids"] == meta["ids"]
            ok &= compare("bert " + text[:20], ours, ref, 1e-5,
                          ["attentions", "hidden_states", "qkv.query", "qkv.key", "qkv.value", "scores"])

    # MiniLM on new sentences: the bundle vs PyTorch on the bundle (1e-5) and vs the original
    # F32 weights (5e-3 on attentions).
    bundle = BertModel.from_pretrained(BUNDLE, attn_implementation="eager", dtype=torch.float32).eval()
    source = BertModel.from_pretrained(args.minilm_source, attn_implementation="eager",
                                       dtype=torch.float32).eval()
    mtok = fast_tokenizer(BUNDLE)
    for text in SENTENCES:
        ours = inspect(BUNDLE, text)
        ref, meta = trace_bert(bundle, mtok, text, None)
        assert ours["ids"] == meta["ids"]
        ok &= compare("minilm " + text[:20], ours, ref, 1e-5, ["attentions", "hidden_states", "qkv.query"])
        ref32, _ = trace_bert(source, mtok, text, None)
        ok &= compare("minilm-f32 " + text[:20], ours, ref32, 5e-3, ["attentions"])
    print("all within tolerance" if ok else "SOME DIFFERENCES EXCEED TOLERANCE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
