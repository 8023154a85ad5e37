#!/usr/bin/env python3
"""Writes the fixtures of the "why" tools: for BERT, GPT-2 and every llama-family fixture,
head ablation and the logit lens from PyTorch with forward hooks, and attention rollout, the
query/key map and vocabulary neighbours from numpy (float64).

Run offline from the repository root after generate.py and generate_llama.py:

    HF_HUB_OFFLINE=1 python tests/reference/generate_why.py

Outputs under tests/reference/fixtures/:
  why_cases.json          per case: model, text, ids, the ablated heads, the query/key map's
                          layer and head, and the neighbours of one token (ids and cosines)
  why-<case>.safetensors  ablated.{attentions,hidden_states,next_token_probs}: the model rerun
                          with those heads' slices of the output projection's input zeroed
                          (a forward pre-hook on c_proj / attention.output.dense / o_proj);
                          lens [L+1, S, V]: softmax(head(final_norm(hidden_states[l]))), the
                          last row the model's own output; rollout [L, S, S]; qk.query_points,
                          qk.key_points [S, 2]; scan [L, heads]: at the case's scan position,
                          each head removed alone — a decoder's drop in the full model's top
                          token's probability, BERT's 1 − cosine of the final vectors
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import AutoModelForCausalLM, BertModel, GPT2LMHeadModel  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import FIXTURES, ROOT, SEED_SENTENCES, fast_tokenizer, trace_bert, trace_gpt2  # noqa: E402
from generate_llama import trace as trace_llama  # noqa: E402

# (fixture folder, text, ablated heads as (layer, head), query/key map layer and head)
CASES = [
    ("tiny-bert", SEED_SENTENCES[0], [(0, 0), (1, 3)], (1, 2)),
    ("tiny-gpt2", SEED_SENTENCES[1], [(0, 1), (1, 2)], (1, 1)),
    ("tiny-llama", SEED_SENTENCES[0], [(0, 3), (0, 4), (1, 7)], (1, 5)),
    ("tiny-mistral", SEED_SENTENCES[1], [(1, 0)], (0, 2)),
    ("tiny-qwen2", SEED_SENTENCES[2], [(0, 1)], (1, 3)),
    ("tiny-qwen3", SEED_SENTENCES[3], [(0, 0), (1, 1)], (1, 0)),
]


def output_projections(model):
    """The module whose input holds every head's output side by side, per layer."""
    if isinstance(model, BertModel):
        return [layer.attention.output.dense for layer in model.encoder.layer]
    if isinstance(model, GPT2LMHeadModel):
        return [block.attn.c_proj for block in model.transformer.h]
    return [layer.self_attn.o_proj for layer in model.model.layers]


def head_dim(model):
    config = model.config
    if isinstance(model, (BertModel, GPT2LMHeadModel)):
        return config.hidden_size // config.num_attention_heads
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def ablate(model, heads):
    """Installs pre-hooks that zero each ablated head's slice; returns the handles."""
    d = head_dim(model)
    handles = []
    for layer, module in enumerate(output_projections(model)):
        chosen = [h for (l, h) in heads if l == layer]
        if not chosen:
            continue

        def hook(_module, args, chosen=chosen):
            x = args[0].clone()
            for h in chosen:
                x[..., h * d:(h + 1) * d] = 0.0
            return (x,) + tuple(args[1:])

        handles.append(module.register_forward_pre_hook(hook))
    return handles


def scan(model, tokenizer, text, clean, position):
    """Removes each head alone and measures what changed at `position`: for a decoder the
    full model's top token's probability before minus after, for BERT 1 − cosine between the
    final vectors (float64). Returns ([L, heads] effects, the top token or None)."""
    config = model.config
    layers, heads = config.num_hidden_layers, config.num_attention_heads
    effects = np.zeros((layers, heads))
    top = None
    if "next_token_probs" in clean:
        top = int(torch.argmax(clean["next_token_probs"][position]))
    before = clean["hidden_states"][-1][position].double().numpy()
    for layer in range(layers):
        for head in range(heads):
            handles = ablate(model, [(layer, head)])
            out, _ = run(model, tokenizer, text)
            for h in handles:
                h.remove()
            if top is not None:
                effects[layer, head] = float(clean["next_token_probs"][position, top]) - float(
                    out["next_token_probs"][position, top])
            else:
                after = out["hidden_states"][-1][position].double().numpy()
                effects[layer, head] = 1.0 - after @ before / (
                    np.linalg.norm(after) * np.linalg.norm(before))
    return effects, top


def run(model, tokenizer, text):
    if isinstance(model, BertModel):
        return trace_bert(model, tokenizer, text, None)
    if isinstance(model, GPT2LMHeadModel):
        return trace_gpt2(model, tokenizer, text)
    return trace_llama(model, tokenizer, text)


def logit_lens(model, hidden_states):
    """softmax(head(final_norm(h))) for every hidden state but the last, which is normed."""
    if isinstance(model, GPT2LMHeadModel):
        norm, head = model.transformer.ln_f, model.lm_head
    else:
        norm, head = model.model.norm, model.lm_head
    rows = []
    with torch.no_grad():
        for l, h in enumerate(hidden_states):
            normed = h if l == len(hidden_states) - 1 else norm(h)
            rows.append(torch.softmax(head(normed).float(), dim=-1))
    return torch.stack(rows)


def rollout(attentions: np.ndarray) -> np.ndarray:
    """Abnar & Zuidema: per layer 0.5·mean-over-heads + 0.5·I, rows renormalised, multiplied
    from the first layer up."""
    out, rolled = [], None
    for layer in attentions.astype(np.float64):
        step = 0.5 * layer.mean(axis=0) + 0.5 * np.eye(layer.shape[-1])
        step /= step.sum(axis=-1, keepdims=True)
        rolled = step if rolled is None else step @ rolled
        out.append(rolled)
    return np.stack(out)


def pca_2d(points: np.ndarray) -> np.ndarray:
    """Projection on the two leading principal components; each component's sign makes its
    largest-magnitude coordinate positive (the Rust core's convention)."""
    centered = points - points.mean(axis=0)
    covariance = centered.T @ centered / max(len(points) - 1, 1)
    values, vectors = np.linalg.eigh(covariance)
    components = vectors[:, np.argsort(values)[::-1][:2]].T
    for c in components:
        if c[np.argmax(np.abs(c))] < 0:
            c *= -1
    return centered @ components.T


def qk_map(q: np.ndarray, k: np.ndarray):
    """AttentionViz: scale queries by c and keys by 1/c so their average lengths match, then
    move the keys so both means coincide; PCA of all of them together."""
    c = np.sqrt(np.linalg.norm(k, axis=1).mean() / np.linalg.norm(q, axis=1).mean())
    q, k = q * c, k / c
    k = k + (q.mean(axis=0) - k.mean(axis=0))
    points = pca_2d(np.concatenate([q, k]))
    return points[: len(q)], points[len(q):]


def neighbours(table: np.ndarray, token: int, k: int = 10):
    """The k rows nearest row `token` by cosine, leaving the token itself out."""
    norms = np.linalg.norm(table, axis=1)
    cos = table @ table[token] / (norms * norms[token])
    cos[token] = -np.inf
    order = sorted(range(len(cos)), key=lambda i: (-cos[i], i))[:k]
    return order, [float(cos[i]) for i in order]


def load(folder: Path):
    config = json.loads((folder / "config.json").read_text())
    if config["model_type"] == "bert":
        model = BertModel.from_pretrained(folder, attn_implementation="eager")
    elif config["model_type"] == "gpt2":
        model = GPT2LMHeadModel.from_pretrained(folder, attn_implementation="eager")
    else:
        model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager")
    return model.eval()


def main() -> None:
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    cases = []
    for folder_name, text, heads, (qk_layer, qk_head) in CASES:
        folder = FIXTURES / folder_name
        model = load(folder)
        tokenizer = fast_tokenizer(folder)
        clean, meta = run(model, tokenizer, text)
        handles = ablate(model, heads)
        ablated, ablated_meta = run(model, tokenizer, text)
        for h in handles:
            h.remove()
        assert ablated_meta["ids"] == meta["ids"]
        tensors = {
            "ablated.attentions": ablated["attentions"],
            "ablated.hidden_states": ablated["hidden_states"],
            "rollout": torch.from_numpy(rollout(clean["attentions"].numpy())),
        }
        if "next_token_probs" in clean:
            tensors["ablated.next_token_probs"] = ablated["next_token_probs"]
            tensors["lens"] = logit_lens(model, list(clean["hidden_states"]))
            # The lens's last row is the model's own distribution.
            assert torch.allclose(tensors["lens"][-1], clean["next_token_probs"], atol=1e-6)
        q = clean["qkv.query"][qk_layer, qk_head].double().numpy()
        k = clean["qkv.key"][qk_layer, qk_head].double().numpy()
        query_points, key_points = qk_map(q, k)
        tensors["qk.query_points"] = torch.from_numpy(query_points)
        tensors["qk.key_points"] = torch.from_numpy(key_points)
        embeddings = model.get_input_embeddings().weight.detach().double().numpy()
        token = meta["ids"][-2]
        near_ids, near_cos = neighbours(embeddings[: tokenizer.backend_tokenizer.get_vocab_size()], token)
        position = len(meta["ids"]) // 2
        effects, top = scan(model, tokenizer, text, clean, position)
        tensors["scan"] = torch.from_numpy(effects)
        name = f"why-{folder_name}"
        save_file({k: v.float().contiguous() for k, v in tensors.items()}, str(FIXTURES / f"{name}.safetensors"))
        cases.append({
            "name": name,
            "model": os.path.relpath(folder, ROOT),
            "text": text,
            "ids": meta["ids"],
            "ablate": [list(h) for h in heads],
            "qk": [qk_layer, qk_head],
            "neighbours": {"token": token, "ids": near_ids, "cosines": near_cos},
            "scan": {"position": position, "top": top},
        })
        print(f"  {name}: {len(meta['ids'])} tokens, {len(heads)} heads off", file=sys.stderr)
    (FIXTURES / "why_cases.json").write_text(json.dumps({
        "generator": "tests/reference/generate_why.py",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
        "cases": cases,
    }, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
