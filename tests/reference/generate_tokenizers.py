#!/usr/bin/env python3
"""Writes the tokenizer fixtures: GPT-2's ids and tokens from transformers' GPT2TokenizerFast
built from the shipped encoder.json and vocab.bpe (assets/tokenizers/gpt2), and the embedded
MiniLM's WordPiece ids, for texts with emoji, CJK, accents, odd spacing and a made-up word.

Run offline from the repository root:

    HF_HUB_OFFLINE=1 python tests/reference/generate_tokenizers.py

Output: tests/reference/fixtures/tokenizers.json
"""

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import transformers  # noqa: E402
from transformers import GPT2TokenizerFast, PreTrainedTokenizerFast  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GPT2 = ROOT / "assets" / "tokenizers" / "gpt2"
MINILM = ROOT / "assets" / "models" / "all-MiniLM-L6-v2" / "tokenizer.json"

TEXTS = [
    "Hello world",
    "students celebrate the graduation with a big party",
    "deputy leader is highly respected in the party",
    "学生们用一个盛大的派对庆祝毕业",
    "Café naïve résumé — déjà vu",
    "I ❤️ 🍕 at the party! 👩‍🎓",
    "graduationfest and partygoers",
    "  two  spaces\nnew line\ttab",
    "it's 2026, isn't it? $3.50",
]


def main() -> None:
    # transformers 5 takes the vocabulary and the merges themselves (4.x took file names).
    vocab = json.loads((GPT2 / "encoder.json").read_text())
    merges = [tuple(line.split(" ")) for line in (GPT2 / "vocab.bpe").read_text().splitlines()[1:] if line]
    gpt2 = GPT2TokenizerFast(vocab=vocab, merges=merges)
    wordpiece = PreTrainedTokenizerFast(tokenizer_file=str(MINILM))
    cases = []
    for text in TEXTS:
        ids = gpt2(text)["input_ids"]
        wp = wordpiece(text)["input_ids"]
        cases.append({
            "text": text,
            "gpt2_ids": ids,
            "gpt2_tokens": gpt2.convert_ids_to_tokens(ids),
            "wordpiece_ids": wp,
            "wordpiece_tokens": wordpiece.convert_ids_to_tokens(wp),
        })
    assert cases[0]["gpt2_ids"] == [15496, 995], cases[0]["gpt2_ids"]
    out = ROOT / "tests" / "reference" / "fixtures" / "tokenizers.json"
    out.write_text(json.dumps({
        "generator": "tests/reference/generate_tokenizers.py",
        "transformers": transformers.__version__,
        "gpt2_vocab_size": len(gpt2),
        "cases": cases,
    }, indent=1, ensure_ascii=False) + "\n")
    print(f"{out}: {len(cases)} texts")


if __name__ == "__main__":
    main()
