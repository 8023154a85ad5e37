#!/usr/bin/env python3
"""Writes tests/reference/fixtures/training.safetensors (+ training.json): one training batch
of the tiny random GPT-2 (fixtures/tiny-gpt2) through PyTorch autograd — the loss, every
parameter's gradient — then gradient clipping and AdamW steps with torch.optim.AdamW. The Rust
backward pass and optimiser (crate/core/src/train) must reproduce them.

Run offline from the repository root:

    HF_HUB_OFFLINE=1 python tests/reference/generate_training.py
"""

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import GPT2LMHeadModel  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "reference" / "fixtures"
MODEL = FIXTURES / "tiny-gpt2"

BATCH, SEQ = 2, 12
SETTINGS = {
    "learning_rate": 1e-2,
    "beta1": 0.9,
    "beta2": 0.95,
    "eps": 1e-8,
    "weight_decay": 0.1,
    "max_grad_norm": 0.5,
    "steps": 3,
}


def batch(gen: torch.Generator, vocab: int):
    tokens = torch.randint(0, vocab, (BATCH, SEQ + 1), generator=gen)
    return tokens[:, :-1], tokens[:, 1:]


def loss_of(model, inputs, targets):
    logits = model(inputs).logits  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def bare(name: str) -> str:
    return name.removeprefix("transformer.")


def main() -> None:
    torch.use_deterministic_algorithms(True)
    model = GPT2LMHeadModel.from_pretrained(
        MODEL, attn_implementation="eager", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0
    )
    model.train()  # dropout is 0, so train and eval agree; train() is what training uses
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(2026)
    batches = [batch(gen, vocab) for _ in range(SETTINGS["steps"])]

    tensors = {}
    params = dict(model.named_parameters())  # the tied lm_head appears once, as wte
    for name, p in params.items():
        tensors[f"before.{bare(name)}"] = p.detach().clone()

    # Step 1's gradients, unclipped.
    inputs, targets = batches[0]
    loss = loss_of(model, inputs, targets)
    loss.backward()
    for name, p in params.items():
        tensors[f"grad.{bare(name)}"] = p.grad.detach().clone()

    # Weight decay on matrices only (GPT-2 / llm.c practice); biases and LayerNorm none.
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    optimiser = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": SETTINGS["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=SETTINGS["learning_rate"],
        betas=(SETTINGS["beta1"], SETTINGS["beta2"]),
        eps=SETTINGS["eps"],
    )
    losses, norms = [], []
    for step, (inputs, targets) in enumerate(batches):
        if step > 0:
            optimiser.zero_grad()
            loss = loss_of(model, inputs, targets)
            loss.backward()
        losses.append(loss.item())
        norms.append(
            torch.nn.utils.clip_grad_norm_(model.parameters(), SETTINGS["max_grad_norm"]).item()
        )
        optimiser.step()
        if step == 0:
            for name, p in params.items():
                tensors[f"after1.{bare(name)}"] = p.detach().clone()
    for name, p in params.items():
        tensors[f"after{SETTINGS['steps']}.{bare(name)}"] = p.detach().clone()
    for step, (inputs, targets) in enumerate(batches):
        tensors[f"inputs.{step}"] = inputs.to(torch.int64).contiguous()
        tensors[f"targets.{step}"] = targets.to(torch.int64).contiguous()

    save_file({k: v.contiguous() for k, v in tensors.items()}, FIXTURES / "training.safetensors")
    meta = {
        "model": "tests/reference/fixtures/tiny-gpt2",
        "batch": BATCH,
        "seq": SEQ,
        "settings": SETTINGS,
        "losses": losses,
        "grad_norms": norms,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }
    (FIXTURES / "training.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
