#!/usr/bin/env python3
"""Writes tests/reference/fixtures/decoding.json: text generation by the tiny random GPT-2
(tests/reference/fixtures/tiny-gpt2, made by generate.py), greedy and sampled, with the
sampling procedure documented in crate/core/src/generate.rs implemented here on PyTorch's
logits. The Rust tests must produce the same ids.

Run offline from the repository root:

    HF_HUB_OFFLINE=1 python tests/reference/generate_decoding.py
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import GPT2LMHeadModel  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "reference" / "fixtures"
MODEL = FIXTURES / "tiny-gpt2"
MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next_f64(self) -> float:
        return (self.next_u64() >> 11) / float(1 << 53)


def choose(logits: torch.Tensor, temperature: float, top_k: int, top_p: float, rng: SplitMix64):
    """One step of generate.rs's documented procedure; returns (id, kept, prob)."""
    wide = logits.double()
    if temperature == 0.0:
        probs = torch.softmax(wide, dim=-1)
        order = sorted(range(len(wide)), key=lambda i: (-wide[i].item(), i))
        return order[0], 1, probs[order[0]].item()
    probs = torch.softmax(wide / temperature, dim=-1).tolist()
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))
    kept = min(top_k, len(order)) if top_k > 0 else len(order)
    if top_p < 1.0:
        total = 0.0
        for n, i in enumerate(order[:kept]):
            total += probs[i]
            if total >= top_p:
                kept = n + 1
                break
    kept = max(kept, 1)
    u = rng.next_f64()
    target = u * sum(probs[i] for i in order[:kept])
    running = 0.0
    chosen = order[kept - 1]
    for i in order[:kept]:
        running += probs[i]
        if running > target:
            chosen = i
            break
    return chosen, kept, probs[chosen]


def run(model, prompt_ids, max_tokens, temperature, top_k, top_p, seed, eos, max_positions):
    ids = list(prompt_ids)
    rng = SplitMix64(seed)
    steps = []
    while len(steps) < max_tokens and len(ids) < max_positions:
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0, -1]
        chosen, kept, prob = choose(logits, temperature, top_k, top_p, rng)
        ids.append(chosen)
        steps.append({"id": chosen, "kept": kept, "prob": prob})
        if chosen == eos:
            break
    return ids[len(prompt_ids):], steps


def main() -> None:
    transformers.logging.set_verbosity_error()
    model = GPT2LMHeadModel.from_pretrained(MODEL, attn_implementation="eager").eval()
    tok = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    eos = model.config.eos_token_id
    max_positions = model.config.n_positions
    settings = [
        # (temperature, top_k, top_p, seed)
        (0.0, 0, 1.0, 0),
        (1.0, 0, 1.0, 1),
        (0.8, 5, 1.0, 2),
        (1.3, 0, 0.9, 3),
        (0.7, 10, 0.8, 2026),
    ]
    cases = []
    for prompt in ["the party", "Hello, world! GPT models"]:
        prompt_ids = tok.encode(prompt).ids
        for temperature, top_k, top_p, seed in settings:
            generated, steps = run(model, prompt_ids, 12, temperature, top_k, top_p, seed, eos, max_positions)
            if temperature == 0.0:
                # Our greedy loop is Hugging Face's greedy search.
                with torch.no_grad():
                    hf = model.generate(
                        torch.tensor([prompt_ids]), do_sample=False, max_new_tokens=len(generated),
                        eos_token_id=eos, pad_token_id=eos,
                    )[0, len(prompt_ids):].tolist()
                assert hf == generated, (hf, generated)
            cases.append({
                "prompt": prompt, "prompt_ids": prompt_ids, "max_tokens": 12,
                "temperature": temperature, "top_k": top_k, "top_p": top_p, "seed": seed,
                "generated_ids": generated, "steps": steps,
            })
            print(f"  {prompt!r} T={temperature} k={top_k} p={top_p} seed={seed}: {generated}", file=sys.stderr)
    out = {
        "model": os.path.relpath(MODEL, ROOT),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cases": cases,
    }
    (FIXTURES / "decoding.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
