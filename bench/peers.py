# Times the peers TokenScope's trace is compared with (PyTorch CPU, onnxruntime native CPU) at each input length and writes bench/out/peers.json.
#
#   HF_HUB_OFFLINE=1 /work/.venv-ref/bin/python bench/inputs.py        # once, or after changing lengths
#   HF_HUB_OFFLINE=1 /work/.venv-ref/bin/python bench/export_onnx.py   # for the onnxruntime column
#   HF_HUB_OFFLINE=1 /work/.venv-ref/bin/python bench/peers.py
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import transformers

HERE = Path(__file__).resolve().parent
MODEL = HERE.parent / "assets" / "models" / "all-MiniLM-L6-v2"
ONNX = HERE / "out" / "minilm-attentions.onnx"
RESULT = HERE / "out" / "peers.json"
WARMUP = 5
RUNS = 30
# Below this many runs a median of a noisy shared machine stops meaning much.
MIN_RUNS = 15
# A length whose warm-up runs are slower than this gets MIN_RUNS, so 512 tokens stays a few seconds.
SLOW_S = 0.2


def median_ms(call):
    started = time.perf_counter()
    for _ in range(WARMUP):
        call()
    runs = RUNS if (time.perf_counter() - started) / WARMUP < SLOW_S else MIN_RUNS
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, runs


def feeds_for(ids):
    ids = np.asarray([ids], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def time_pytorch(inputs, threads):
    torch.set_num_threads(threads)
    # The page computes in f32 from the F16 file, so the peer starts from the same rounded weights.
    model = transformers.AutoModel.from_pretrained(MODEL, attn_implementation="eager").float().eval()
    medians, runs = {}, {}
    for n, ids in inputs["ids"].items():
        feeds = {k: torch.from_numpy(v) for k, v in feeds_for(ids).items()}

        # Both flags on because TokenScope's trace keeps every layer's attentions and hidden states.
        def call():
            with torch.inference_mode():
                model(**feeds, output_attentions=True, output_hidden_states=True)

        medians[n], runs[n] = median_ms(call)
    return medians, runs


def time_onnxruntime(inputs):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(str(ONNX), options, providers=["CPUExecutionProvider"])
    medians, runs = {}, {}
    for n, ids in inputs["ids"].items():
        feeds = feeds_for(ids)
        medians[n], runs[n] = median_ms(lambda: session.run(None, feeds))
    return medians, runs


def versions():
    found = {"python": platform.python_version(), "torch": torch.__version__,
             "transformers": transformers.__version__, "numpy": np.__version__}
    for name in ["tokenizers", "onnxruntime", "onnx"]:
        try:
            found[name] = __import__(name).__version__
        except ImportError:
            found[name] = None
    return found


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"nproc": int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()),
            "cpu_model": cpu, "os": platform.platform()}


def main():
    inputs = json.loads((HERE / "inputs.json").read_text())
    # Interop threads would add a second pool on top of the intra-op count being measured.
    torch.set_num_interop_threads(1)
    result = {"inputs": {n: len(ids) for n, ids in inputs["ids"].items()}, "runs": {}}
    for threads, key in [(1, "pytorch_1_thread_ms"), (2, "pytorch_2_threads_ms")]:
        result[key], result["runs"][key] = time_pytorch(inputs, threads)
    if ONNX.exists():
        result["onnxruntime_native_1_thread_ms"], result["runs"]["onnxruntime_native_1_thread_ms"] = \
            time_onnxruntime(inputs)
    else:
        print(f"{ONNX} missing (run bench/export_onnx.py): no onnxruntime column", file=sys.stderr)
        result["onnxruntime_native_1_thread_ms"] = None
    result["versions"] = versions()
    result["machine"] = machine()
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    result["load_average_after"] = os.getloadavg()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=1) + "\n")

    columns = [k for k in ["pytorch_1_thread_ms", "pytorch_2_threads_ms", "onnxruntime_native_1_thread_ms"]
               if result[k]]
    print("median ms  " + "".join(f"{k.removesuffix('_ms'):>32}" for k in columns))
    for n in inputs["ids"]:
        print(f"{n:>4} tok   " + "".join(f"{result[k][n]:>32.2f}" for k in columns))
    print(f"wrote {RESULT}; {result['machine']['nproc']} × {result['machine']['cpu_model']}, "
          f"load average after {result['load_average_after'][0]:.2f}")


if __name__ == "__main__":
    main()
