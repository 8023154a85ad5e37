# Writes bench/inputs.json: one text per benchmark length whose MiniLM tokenization is exactly that many tokens.
#
#   HF_HUB_OFFLINE=1 /work/.venv-ref/bin/python bench/inputs.py
import json
from pathlib import Path

import transformers

HERE = Path(__file__).resolve().parent
MODEL = HERE.parent / "assets" / "models" / "all-MiniLM-L6-v2"
LENGTHS = [10, 32, 128, 512]
# The seed article's two sentences, so every length reads like the page's own example text.
SENTENCES = [
    "students celebrate the graduation with a big party",
    "deputy leader is highly respected in the party",
]
# One token in this vocabulary, so adding it moves the count by exactly one.
FILLER = "party"


def load_tokenizer():
    tok = transformers.PreTrainedTokenizerFast(tokenizer_file=str(MODEL / "tokenizer.json"))
    # tokenizer.json pads to 128 and may truncate; either would silently change the length measured.
    tok.backend_tokenizer.no_padding()
    tok.backend_tokenizer.no_truncation()
    return tok


def ids_of(tok, text):
    return tok(text, add_special_tokens=True, padding=False, truncation=False)["input_ids"]


def text_of_length(tok, n):
    if n == 10:
        return SENTENCES[0]
    words = []
    while len(words) < 2 * n:
        for s in SENTENCES:
            words.extend(s.split())
    # Longest word prefix that does not overshoot, so a word split into several pieces cannot skip past n.
    k = 0
    while k < len(words) and len(ids_of(tok, " ".join(words[: k + 1]))) <= n:
        k += 1
    chosen = words[:k]
    while len(ids_of(tok, " ".join(chosen))) < n:
        chosen.append(FILLER)
    return " ".join(chosen)


def main():
    tok = load_tokenizer()
    texts, ids = {}, {}
    for n in LENGTHS:
        text = text_of_length(tok, n)
        got = ids_of(tok, text)
        assert len(got) == n, (n, len(got))
        # Built from tokenizer.json alone the wrapper knows no cls/sep attributes, so ask the vocabulary.
        assert got[0] == tok.convert_tokens_to_ids("[CLS]") and got[-1] == tok.convert_tokens_to_ids("[SEP]")
        texts[str(n)], ids[str(n)] = text, got
    assert ids["10"] == [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]
    (HERE / "inputs.json").write_text(json.dumps({"texts": texts, "ids": ids}, indent=1) + "\n")
    for n in LENGTHS:
        print(f"{n:>4} tokens, {len(texts[str(n)].split()):>4} words")


if __name__ == "__main__":
    main()
