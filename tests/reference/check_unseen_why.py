#!/usr/bin/env python3
"""Checks the "why" tools of `tokenscope` against PyTorch and numpy on models and texts no
fixture holds: fresh random GPT-2, BERT, llama and qwen3 models of other sizes, new texts and
other heads switched off. Compares `inspect --ablate` (attentions, hidden states, next-token
top 10), `inspect --fields logit_lens` (every layer's top 10 at every position) and
`neighbours` (top 10 by cosine). Prints the largest difference per check and exits 1 if any
exceeds 1e-5 (hidden states 1e-4, the project's tolerance for them).

    HF_HUB_OFFLINE=1 python tests/reference/check_unseen_why.py
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel, LlamaConfig, Qwen3Config

sys.path.insert(0, str(Path(__file__).parent))
from generate import ROOT, fast_tokenizer, randomize as randomize_gpt2, tiny_bpe_tokenizer, tiny_wordpiece_tokenizer  # noqa: E402
from generate_llama import LLAMA3_SPLIT, QWEN2_SPLIT, build, split_bpe_tokenizer  # noqa: E402
from generate_why import ablate, logit_lens, run  # noqa: E402

TEXTS = [
    "Why did the student bring a ladder to class? To reach the high marks.",
    "The party's leader and the birthday party: one word, two meanings.",
]


def cli(args):
    out = subprocess.run(["target/release/tokenscope", *args], cwd=ROOT, check=True, capture_output=True)
    return json.loads(out.stdout)


def report(label, what, diff, limit):
    flag = "ok" if diff <= limit else "FAIL"
    print(f"{label}: {what:28s} largest difference {diff:.2e} ({flag}, limit {limit:.0e})")
    return diff <= limit


def save_gpt2(folder: Path, seed: int):
    tok = tiny_bpe_tokenizer()
    config = GPT2Config(vocab_size=tok.get_vocab_size(), n_embd=72, n_layer=3, n_head=6, n_positions=128)
    model = GPT2LMHeadModel(config)
    randomize_gpt2(model, seed=seed)
    model.tie_weights()
    model.save_pretrained(folder, safe_serialization=True)
    tok.save(str(folder / "tokenizer.json"))


def save_bert(folder: Path, seed: int):
    tok = tiny_wordpiece_tokenizer()
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=60, num_hidden_layers=3,
                        num_attention_heads=5, intermediate_size=90, max_position_embeddings=128)
    model = BertModel(config, add_pooling_layer=False)
    randomize_gpt2(model, seed=seed)
    model.save_pretrained(folder, safe_serialization=True)
    tok.save(str(folder / "tokenizer.json"))


def main():
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    subprocess.run(["cargo", "build", "-q", "--release", "--bin", "tokenscope"], cwd=ROOT, check=True)
    llama_tok = split_bpe_tokenizer(LLAMA3_SPLIT, ["<|begin_of_text|>", "<|end_of_text|>"], "<|begin_of_text|>")
    qwen_tok = split_bpe_tokenizer(QWEN2_SPLIT, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], None)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folders = {}
        folders["gpt2"] = tmp / "gpt2"
        save_gpt2(folders["gpt2"], 4242)
        folders["bert"] = tmp / "bert"
        save_bert(folders["bert"], 2424)
        folders["llama"] = tmp / "llama"
        build(folders["llama"], LlamaConfig(
            vocab_size=llama_tok.get_vocab_size(), hidden_size=64, num_hidden_layers=3, intermediate_size=100,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=False,
            bos_token_id=0, eos_token_id=1, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
            llama_tok, 301, 3.0)
        folders["qwen3"] = tmp / "qwen3"
        build(folders["qwen3"], Qwen3Config(
            vocab_size=qwen_tok.get_vocab_size(), hidden_size=48, num_hidden_layers=3, intermediate_size=96,
            num_attention_heads=6, num_key_value_heads=3, head_dim=16, max_position_embeddings=128,
            tie_word_embeddings=True, eos_token_id=0,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), qwen_tok, 302, 2.0)
        heads = {"gpt2": [(0, 2), (2, 5)], "bert": [(1, 0), (2, 4)], "llama": [(0, 1), (2, 3)], "qwen3": [(1, 1), (1, 5)]}
        from generate_why import load  # noqa: E402
        for name, folder in folders.items():
            model = load(folder)
            tokenizer = fast_tokenizer(folder)
            spec = ",".join(f"{l}.{h}" for l, h in heads[name])
            for text in TEXTS:
                label = f"{name} {text[:14]}"
                handles = ablate(model, heads[name])
                ref, meta = run(model, tokenizer, text)
                for h in handles:
                    h.remove()
                ours = cli(["inspect", "--model", str(folder), "--text", text, "--ablate", spec,
                            "--fields", "ids,attentions,hidden_states,next_token", "--top", "10"])
                assert ours["ids"] == meta["ids"], (ours["ids"], meta["ids"])
                ok &= report(label, "ablated attentions",
                             (torch.tensor(ours["attentions"]) - ref["attentions"]).abs().max().item(), 1e-5)
                ok &= report(label, "ablated hidden states",
                             (torch.tensor(ours["hidden_states"]) - ref["hidden_states"]).abs().max().item(), 1e-4)
                if "next_token_probs" in ref:
                    top = torch.topk(ref["next_token_probs"][-1], 10)
                    assert [e["id"] for e in ours["next_token"]["top"]] == top.indices.tolist(), "ablated ranking"
                    diff = max(abs(e["prob"] - p) for e, p in zip(ours["next_token"]["top"], top.values.tolist()))
                    ok &= report(label, "ablated next-token top 10", diff, 1e-5)
                    clean, _ = run(model, tokenizer, text)
                    lens = logit_lens(model, list(clean["hidden_states"]))  # (L+1, S, V)
                    printed = cli(["inspect", "--model", str(folder), "--text", text,
                                   "--fields", "logit_lens", "--top", "10"])["logit_lens"]
                    worst = 0.0
                    for l, row in enumerate(printed):
                        for i, cell in enumerate(row):
                            values, ids = torch.topk(lens[l, i], 10)
                            # Ties in a random model's near-uniform rows may order differently.
                            for e in cell:
                                worst = max(worst, abs(e["prob"] - lens[l, i, e["id"]].item()))
                            worst = max(worst, abs(cell[0]["prob"] - values[0].item()))
                    ok &= report(label, "logit lens (every cell)", worst, 1e-5)
            table = model.get_input_embeddings().weight.detach().double().numpy()
            vocab = tokenizer.backend_tokenizer.get_vocab_size()
            for word in ["party", "the"]:
                ours = cli(["neighbours", "--model", str(folder), "--token", word, "--k", "10"])
                row = table[ours["id"]]
                norms = np.linalg.norm(table[:vocab], axis=1)
                cos = table[:vocab] @ row / (norms * np.linalg.norm(row))
                cos[ours["id"]] = -np.inf
                order = sorted(range(vocab), key=lambda i: (-cos[i], i))[:10]
                assert [n["id"] for n in ours["neighbours"]] == order, f"{name} {word}: neighbour ranking"
                diff = max(abs(n["cosine"] - cos[n["id"]]) for n in ours["neighbours"])
                ok &= report(f"{name} {word}", "neighbour cosines", diff, 1e-5)
    print("all within tolerance" if ok else "SOME DIFFERENCES EXCEED TOLERANCE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
