# Exports all-MiniLM-L6-v2 with every layer's attentions and hidden states to bench/out/minilm-attentions.onnx and checks it against PyTorch.
#
#   HF_HUB_OFFLINE=1 /work/.venv-ref/bin/python bench/export_onnx.py
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers

HERE = Path(__file__).resolve().parent
MODEL = HERE.parent / "assets" / "models" / "all-MiniLM-L6-v2"
OUT = HERE / "out" / "minilm-attentions.onnx"
# 18 is the lowest opset the torch.export-based exporter writes natively (asking for 17 makes it
# run onnx's version converter afterwards); onnxruntime-web 1.30's wasm backend runs 18 fully.
OPSET = 18
LAYERS = 6
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAMES = (
    ["last_hidden_state"]
    + [f"attentions.{i}" for i in range(LAYERS)]
    + [f"hidden_states.{i}" for i in range(LAYERS + 1)]
)
TOLERANCE = 1e-4


def load_model():
    # The page computes in f32 from the F16 file, so the peer must start from the same rounded weights.
    model = transformers.AutoModel.from_pretrained(MODEL, attn_implementation="eager")
    return model.float().eval()


class Flat(torch.nn.Module):
    """ONNX outputs must be a flat tuple of tensors, not a ModelOutput holding tuples."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            output_attentions=True,
            output_hidden_states=True,
            return_dict=True,
        )
        return (out.last_hidden_state, *out.attentions, *out.hidden_states)


def feeds_for(ids):
    ids = np.asarray([ids], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def export(model, example_ids):
    # Batch 2 and a length other than 1 as the example, so torch.export cannot specialise either axis to a constant.
    example = {k: torch.from_numpy(np.repeat(v, 2, axis=0)) for k, v in feeds_for(example_ids).items()}
    batch = torch.export.Dim("batch", min=1, max=1024)
    sequence = torch.export.Dim("sequence", min=1, max=model.config.max_position_embeddings)
    dynamic = {name: {0: batch, 1: sequence} for name in INPUT_NAMES}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    program = torch.onnx.export(
        Flat(model).eval(),
        (example["input_ids"], example["attention_mask"], example["token_type_ids"]),
        input_names=INPUT_NAMES,
        output_names=OUTPUT_NAMES,
        opset_version=OPSET,
        dynamo=True,
        dynamic_shapes=dynamic,
    )
    # One self-contained file (about 90 MB in f32) is what a browser fetch wants; external data would be a second file.
    program.save(str(OUT), external_data=False)


def check(model, inputs):
    session = ort.InferenceSession(str(OUT), providers=["CPUExecutionProvider"])
    worst_overall = 0.0
    for n in ["10", "128"]:
        feeds = feeds_for(inputs["ids"][n])
        got = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
        with torch.inference_mode():
            want = Flat(model)(*(torch.from_numpy(feeds[k]) for k in INPUT_NAMES))
        want = dict(zip(OUTPUT_NAMES, (t.numpy() for t in want)))
        attention = max(float(np.abs(got[k] - want[k]).max()) for k in OUTPUT_NAMES if k.startswith("attentions."))
        hidden = max(float(np.abs(got[k] - want[k]).max()) for k in OUTPUT_NAMES if not k.startswith("attentions."))
        print(f"{n:>4} tokens: largest attention difference {attention:.2e}, largest hidden-state difference {hidden:.2e}")
        worst_overall = max(worst_overall, attention)
    assert worst_overall <= TOLERANCE, f"attentions differ by {worst_overall:.2e} > {TOLERANCE:.0e}"
    return worst_overall


def main():
    inputs = json.loads((HERE / "inputs.json").read_text())
    model = load_model()
    export(model, inputs["ids"]["32"])
    proto = onnx.load(str(OUT))
    onnx.checker.check_model(proto)
    opsets = {o.domain or "ai.onnx": o.version for o in proto.opset_import}
    print(f"wrote {OUT} ({OUT.stat().st_size / 2**20:.1f} MiB), opsets {opsets}, "
          f"{len(proto.graph.output)} outputs")
    worst = check(model, inputs)
    print(f"largest attention difference vs PyTorch: {worst:.2e} (limit {TOLERANCE:.0e})")


if __name__ == "__main__":
    main()
