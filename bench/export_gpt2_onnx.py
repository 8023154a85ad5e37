# Exports a gpt2-sized folder (tests/reference/full_size_gpt2.py writes one: random weights of
# gpt2's exact shape) to ONNX with the next-token logits at every position and all twelve
# layers' attentions, what the page computes for its first next-token table, and checks it
# against PyTorch. bench/full-size-gpt2.mjs times onnxruntime-web on it beside the page.
#
#   HF_HUB_OFFLINE=1 /path/to/venv/bin/python bench/export_gpt2_onnx.py /tmp/gpt2-full
#
# Writes FOLDER/model-attentions.onnx (about 480 MB).
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import transformers

# 18 is the lowest opset the torch.export-based exporter writes natively (see export_onnx.py).
OPSET = 18
TOLERANCE = 1e-4


class Flat(torch.nn.Module):
    """ONNX outputs must be a flat tuple of tensors, not a ModelOutput holding tuples."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        out = self.model(input_ids=input_ids, output_attentions=True, use_cache=False, return_dict=True)
        return (out.logits, *out.attentions)


def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/gpt2-full")
    out = folder / "model-attentions.onnx"
    reference = json.loads((folder / "reference.json").read_text())
    model = transformers.GPT2LMHeadModel.from_pretrained(folder, attn_implementation="eager").float().eval()
    layers = model.config.n_layer
    names = ["logits"] + [f"attentions.{i}" for i in range(layers)]
    # Batch 2 and a length other than 1, so torch.export cannot specialise either axis to a constant.
    example = torch.tensor([reference["ids"], reference["ids"]], dtype=torch.int64)
    batch = torch.export.Dim("batch", min=1, max=64)
    sequence = torch.export.Dim("sequence", min=1, max=model.config.n_positions)
    program = torch.onnx.export(
        Flat(model),
        (example,),
        input_names=["input_ids"],
        output_names=names,
        opset_version=OPSET,
        dynamo=True,
        dynamic_shapes={"input_ids": {0: batch, 1: sequence}},
    )
    # One file below protobuf's 2 GB limit: what a browser fetches in one request.
    program.save(str(out), external_data=False)
    check(out, model, reference["ids"])


def softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check(out, model, ids):
    """Attentions and next-token probabilities (what the page shows) within TOLERANCE; the
    logits themselves are a few tens in size, so their difference is stated relative."""
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    ids = np.asarray([ids], dtype=np.int64)
    got = session.run(None, {"input_ids": ids})
    with torch.inference_mode():
        want = [t.numpy() for t in Flat(model)(torch.from_numpy(ids))]
    attention = max(float(np.abs(g - w).max()) for g, w in zip(got[1:], want[1:]))
    probs = float(np.abs(softmax(got[0]) - softmax(want[0])).max())
    logits = float(np.abs(got[0] - want[0]).max() / np.abs(want[0]).max())
    print(f"wrote {out} ({out.stat().st_size / 2**20:.0f} MiB); largest difference from PyTorch: "
          f"attention {attention:.2e}, next-token probability {probs:.2e}, logits {logits:.2e} relative")
    assert max(attention, probs) <= TOLERANCE, f"ONNX differs from PyTorch by {max(attention, probs):.2e}"

if __name__ == "__main__":
    main()
