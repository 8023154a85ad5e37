#!/usr/bin/env python3
"""Writes a model folder of exactly SmolLM2-135M's or Qwen2.5-0.5B's shape with random
weights, and PyTorch's numbers and speed for one prompt, so the page's real-size path for
modern decoders (big vocabularies, grouped-query attention, BF16 files) can be measured and
checked without the hub.

    HF_HUB_OFFLINE=1 python tests/reference/real_size_llama.py --shape smollm2-135m --out /tmp/smollm2
    HF_HUB_OFFLINE=1 python tests/reference/real_size_llama.py --shape qwen2.5-0.5b --out /tmp/qwen

The shapes are the published config.json values of HuggingFaceTB/SmolLM2-135M (llama, 30
layers, 9 heads, 3 key/value heads, hidden 576, MLP 1,536, vocabulary 49,152, tied, BF16) and
Qwen/Qwen2.5-0.5B (qwen2, 24 layers, 14 heads, 2 key/value heads, hidden 896, MLP 4,864,
vocabulary 151,936, tied, q/k/v biases, BF16). The real tokenizers cannot be downloaded here,
so each folder gets the tiny split-regex BPE of the fixtures (its 320 tokens fit the table,
whose other rows are never read). Writes into --out: config.json, model.safetensors (BF16),
tokenizer.json, and reference.json: the prompt's ids, PyTorch's next-token top 10 and layer 0
and last-layer attention of head 0 (on the BF16 weights in f32, as the page holds them), and
PyTorch's single-thread times for the traced forward pass and for cached greedy generation.
The check that reads them is bench/real-size-llama.mjs.
"""

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import AutoModelForCausalLM, LlamaConfig, PreTrainedTokenizerFast, Qwen2Config  # noqa: E402

SHAPES = {
    "smollm2-135m": (LlamaConfig, dict(
        vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
        num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
        rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 100000.0},
        tie_word_embeddings=True, bos_token_id=0, eos_token_id=0), "tiny-llama"),
    "qwen2.5-0.5b": (Qwen2Config, dict(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
        rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        tie_word_embeddings=True, use_sliding_window=False, sliding_window=32768,
        max_window_layers=21, eos_token_id=0), "tiny-qwen2"),
}

# Ten tokens with the fixtures' tokenizers: "the first trace at 10 tokens" of the issue.
PROMPT = "the party leader the party leader"
GENERATED = 32


def best_of(runs, fn):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", choices=sorted(SHAPES), required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config_class, sizes, tokenizer_from = SHAPES[args.shape]
    fixtures = Path(__file__).parent / "fixtures"
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(135)
    config = config_class(**sizes)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
    with torch.no_grad():
        gen = torch.Generator().manual_seed(135)
        for name, param in sorted(model.named_parameters()):
            noise = torch.randn(param.shape, generator=gen)
            param.copy_(1.0 + 0.2 * noise if name.endswith("norm.weight") else 0.05 * noise)
    model.tie_weights()
    model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True)
    shutil.copy(fixtures / tokenizer_from / "tokenizer.json", out / "tokenizer.json")
    (out / "generation_config.json").unlink(missing_ok=True)

    # The reference: the BF16 file's own numbers, computed in f32.
    model = AutoModelForCausalLM.from_pretrained(out, attn_implementation="eager", dtype=torch.float32).eval()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(out / "tokenizer.json"))
    ids = tokenizer(PROMPT)["input_ids"]
    input_ids = torch.tensor([ids])
    with torch.no_grad():
        result = model(input_ids, output_attentions=True)
        trace_ms = best_of(5, lambda: model(input_ids, output_attentions=True, output_hidden_states=True))
        mask = torch.ones_like(input_ids)
        generate = lambda: model.generate(  # noqa: E731
            input_ids, attention_mask=mask, max_new_tokens=GENERATED, min_new_tokens=GENERATED,
            do_sample=False, pad_token_id=0)
        generate_ms = best_of(3, generate)
    probs = torch.softmax(result.logits[0, -1], dim=-1)
    top = torch.topk(probs, 10)
    last = config.num_hidden_layers - 1
    reference = {
        "shape": args.shape,
        "prompt": PROMPT,
        "ids": ids,
        "parameters": sum(p.numel() for p in model.parameters()),
        "file_bytes": (out / "model.safetensors").stat().st_size,
        "next_token_top": [{"id": int(i), "prob": float(p)} for p, i in zip(top.values, top.indices)],
        "attention_layer0_head0": result.attentions[0][0, 0].tolist(),
        "last_layer": last,
        "attention_last_head0": result.attentions[last][0, 0].tolist(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_trace_ms": trace_ms,
        "torch_generate_ms": generate_ms,
        "generated_tokens": GENERATED,
    }
    (out / "reference.json").write_text(json.dumps(reference))
    print(f"wrote {out}: {reference['parameters']:,} parameters, {len(ids)} prompt tokens, "
          f"model.safetensors {reference['file_bytes']:,} bytes; PyTorch 1 thread: trace "
          f"{trace_ms:.1f} ms, {GENERATED} tokens in {generate_ms:.0f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
