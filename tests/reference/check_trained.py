#!/usr/bin/env python3
"""Checks that a folder written by `tokenscope train` (or converted by `tokenscope convert`)
is a Hugging Face model that `transformers` loads, and that PyTorch and TokenScope agree on
it: the same token ids, and next-token probabilities and attentions within the project's
tolerance (1e-5 for F32 weights, 5e-3 against an F32 source for F16).

Run offline from the repository root, after `cargo build --release`:

    HF_HUB_OFFLINE=1 python tests/reference/check_trained.py --model assets/models/tokenscope-gpt

With `--unseen FILE` it also prints how well the model predicts a text it never saw, in bits
per character, so models with different vocabularies compare: every token of the file is
predicted, in windows of `<|endoftext|>` and the model's context less one tokens.
"""

import argparse
import json
import math
import os
import subprocess
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "students celebrate the graduation with a big",
    "deputy leader is highly respected in the party",
    "a dog is a domesticated animal",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--unseen", type=Path, help="a text file to report bits per character on")
    args = parser.parse_args()
    model = GPT2LMHeadModel.from_pretrained(args.model, attn_implementation="eager").float().eval()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(args.model / "tokenizer.json"))
    worst = 0.0
    for text in TEXTS:
        ids = tokenizer(text)["input_ids"]
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_attentions=True)
        probs = torch.softmax(out.logits[0, -1], dim=-1)
        ours = json.loads(
            subprocess.run(
                [str(ROOT / "target/release/tokenscope"), "inspect", "--model", str(args.model),
                 "--text", text, "--top", "10", "--fields", "ids,attentions,next_token"],
                check=True, capture_output=True,
            ).stdout
        )
        assert ours["ids"] == ids, (ours["ids"], ids)
        prob_diff = max(abs(c["prob"] - probs[c["id"]].item()) for c in ours["next_token"]["top"])
        att = torch.stack(out.attentions)[:, 0]  # (L, heads, S, S)
        att_diff = (torch.tensor(ours["attentions"]) - att).abs().max().item()
        top = [tokenizer.convert_ids_to_tokens(c["id"]) for c in ours["next_token"]["top"][:5]]
        print(f"{text!r}: next {top}; largest difference: prob {prob_diff:.2e}, attention {att_diff:.2e}")
        worst = max(worst, prob_diff, att_diff)
    print(f"largest difference {worst:.2e} (tolerance {args.tolerance:.0e})")
    assert worst <= args.tolerance
    if args.unseen:
        print_bits_per_character(model, tokenizer, args.unseen.read_text(encoding="utf-8"), args.unseen.name)


def print_bits_per_character(model, tokenizer, text: str, name: str) -> None:
    ids = tokenizer(text)["input_ids"]
    end_of_text = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    span = model.config.n_positions - 1
    total_nats = 0.0
    for start in range(0, len(ids), span):
        window = [end_of_text] + ids[start : start + span]
        with torch.no_grad():
            logits = model(torch.tensor([window])).logits[0, :-1]  # (window - 1, vocab)
        targets = torch.tensor(window[1:])
        total_nats += torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
    bits = total_nats / math.log(2)
    print(f"{name}: {len(ids)} tokens, {len(text)} characters, "
          f"{total_nats / len(ids):.3f} nats per token, {bits / len(text):.3f} bits per character")


if __name__ == "__main__":
    main()
