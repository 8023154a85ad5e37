#!/usr/bin/env python3
"""Writes a GPT-2 folder of gpt2's full size (124M parameters, 12 layers x 12 heads, 768
wide, 50,257 tokens, 1,024 positions, F32: ~500 MB) with random weights and GPT-2's real
tokenizer, plus PyTorch's numbers for one prompt, so the page's big-model path (streaming,
F16 in memory, the 50,257-token softmax) can be checked end to end without the hub.

Run offline from the repository root after generate.py (it reuses gpt2-tokenizer.json):

    HF_HUB_OFFLINE=1 python tests/reference/full_size_gpt2.py --out /tmp/gpt2-full

Writes into --out: config.json, model.safetensors, tokenizer.json, and reference.json with
the prompt's ids, the next-token top 10 and layer 0 / layer 11 attention of head 0.
The check that reads them is bench/full-size-gpt2.mjs.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from generate import randomize  # noqa: E402

PROMPT = "students celebrate the graduation with a big party"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    fixtures = Path(__file__).parent / "fixtures"
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    config = GPT2Config(attn_implementation="eager")  # gpt2's own sizes are the defaults
    model = GPT2LMHeadModel(config)
    randomize(model, seed=124)
    model.tie_weights()
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    shutil.copy(fixtures / "gpt2-tokenizer.json", out / "tokenizer.json")
    for extra in ("generation_config.json",):
        (out / extra).unlink(missing_ok=True)

    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(out / "tokenizer.json"))
    ids = tokenizer(PROMPT)["input_ids"]
    with torch.no_grad():
        result = model(torch.tensor([ids]), output_attentions=True)
    probs = torch.softmax(result.logits[0, -1], dim=-1)
    top = torch.topk(probs, 10)
    reference = {
        "prompt": PROMPT,
        "ids": ids,
        "tokens": tokenizer.convert_ids_to_tokens(ids),
        "parameters": sum(p.numel() for p in model.parameters()),
        "next_token_top": [
            {"id": int(i), "prob": float(p)} for p, i in zip(top.values, top.indices)
        ],
        "attention_layer0_head0": result.attentions[0][0, 0].tolist(),
        "attention_layer11_head0": result.attentions[11][0, 0].tolist(),
    }
    (out / "reference.json").write_text(json.dumps(reference))
    size = (out / "model.safetensors").stat().st_size
    print(f"wrote {out}: {reference['parameters']:,} parameters, model.safetensors {size:,} bytes")


if __name__ == "__main__":
    main()
