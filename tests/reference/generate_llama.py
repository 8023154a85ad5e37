#!/usr/bin/env python3
"""Writes the golden fixtures of the modern decoders (llama, mistral, qwen2, qwen3): tiny
random models that transformers builds and saves, and every tensor TokenScope traces, from
eager attention.

Run offline from the repository root (see tests/reference/README.md):

    HF_HUB_OFFLINE=1 python tests/reference/generate_llama.py

Outputs under tests/reference/fixtures/:
  tiny-llama/, tiny-llama-sharded/, tiny-mistral/, tiny-qwen2/, tiny-qwen3/
  llama_cases.json             one entry per case (the format of cases.json), and per model
                               a greedy continuation from model.generate
  <case>.safetensors           every traced tensor of that case

Each model is built to show one thing that would otherwise go unnoticed:
  tiny-llama    llama3 rope scaling, 4 query heads per key/value head, an untied head,
                attention and MLP biases, a BOS token added by the tokenizer
  tiny-mistral  one key/value head for all (multi-query) and a sliding window of 4 tokens,
                shorter than every test text
  tiny-qwen2    q/k/v biases, a tied head, rope_theta 1e6, an embedding table padded past the
                tokenizer (qwen's 151,936 rows for 151,665 tokens, in small)
  tiny-qwen3    head_dim 32 with hidden 64 and 4 heads (≠ hidden / heads), q_norm and k_norm
  tiny-llama-sharded  tiny-llama saved in shards with model.safetensors.index.json
Every weight is random, norm weights and biases included; each output head is scaled so the
next-token distribution is peaked.
"""

import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForCausalLM,
    LlamaConfig,
    MistralConfig,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen3Config,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import FIXTURES, ROOT, SEED_SENTENCES, TINY_CORPUS, write_case  # noqa: E402

# The split patterns of Llama 3's and Qwen2's tokenizer.json (numbers in threes vs one by one).
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

TEXTS = [
    SEED_SENTENCES[0],
    SEED_SENTENCES[1],
    "In 2024 the cat 🐱 met 派对 people; it's 12345 o'clock!",
]


def split_bpe_tokenizer(pattern: str, specials: list[str], bos: str | None) -> Tokenizer:
    """A byte-level BPE behind a split regex, as Llama 3's and Qwen's tokenizer.json are."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(TINY_CORPUS, trainer)
    if bos is None:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    else:
        bos_id = tok.token_to_id(bos)
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1", special_tokens=[(bos, bos_id)]
            ),
        ])
    return tok


def randomize(model: torch.nn.Module, seed: int, head_scale: float) -> None:
    """Every parameter random: norms around 1, biases and matrices around 0; the output head
    (or the tied embeddings) scaled so the next-token distribution is peaked."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            noise = torch.randn(param.shape, generator=gen)
            if name.endswith("norm.weight"):
                param.copy_(1.0 + 0.2 * noise)
            elif "embed_tokens" in name or name.startswith("lm_head"):
                param.copy_(0.5 * head_scale * noise)
            else:
                param.copy_(0.15 * noise)


def build(out: Path, config, tok: Tokenizer, seed: int, head_scale: float):
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    randomize(model, seed, head_scale)
    if config.tie_word_embeddings:
        model.tie_weights()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model.save_pretrained(out, safe_serialization=True)
    tok.save(str(out / "tokenizer.json"))
    return model


def heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    seq, width = x.shape
    return x.view(seq, n_heads, width // n_heads).transpose(0, 1).contiguous()  # (heads, S, d)


def trace(model, tokenizer, text):
    """Runs the model with hooks on the projections and norms, and rebuilds the rotated q/k
    with transformers' own rotary embedding and apply_rotary_pos_emb."""
    enc = tokenizer(text, return_tensors="pt")
    ids = enc["input_ids"]
    cfg = model.config
    n_heads, n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
    layers = model.model.layers
    module = sys.modules[type(layers[0].self_attn).__module__]
    captured = {}
    handles = []

    def keep(key):
        return lambda m, i, o: captured.__setitem__(key, o.detach())

    for n, layer in enumerate(layers):
        attn = layer.self_attn
        for part in ("q_proj", "k_proj", "v_proj", "q_norm", "k_norm"):
            if hasattr(attn, part):
                handles.append(getattr(attn, part).register_forward_hook(keep((n, part))))
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True, output_hidden_states=True)
        seq = ids.shape[1]
        position_ids = torch.arange(seq)[None]
        cos, sin = model.model.rotary_emb(out.hidden_states[0], position_ids)
    for h in handles:
        h.remove()
    q_raw, k_raw, q_rot, k_rot, values, scores = [], [], [], [], [], []
    group = n_heads // n_kv
    for n, layer in enumerate(layers):
        attn = layer.self_attn
        if (n, "q_norm") in captured:  # qwen3: (1, S, heads, d) after the per-head norms
            q = captured[(n, "q_norm")][0].transpose(0, 1)
            k = captured[(n, "k_norm")][0].transpose(0, 1)
        else:
            q = heads(captured[(n, "q_proj")][0], n_heads)
            k = heads(captured[(n, "k_proj")][0], n_kv)
        v = heads(captured[(n, "v_proj")][0], n_kv)
        qr, kr = module.apply_rotary_pos_emb(q[None], k[None], cos, sin)
        k_all = module.repeat_kv(kr, group)[0]
        q_raw.append(q)
        k_raw.append(module.repeat_kv(k[None], group)[0])
        q_rot.append(qr[0])
        k_rot.append(k_all)
        values.append(module.repeat_kv(v[None], group)[0])
        scores.append(torch.matmul(qr[0], k_all.transpose(-1, -2)) * attn.scaling)
    word = model.model.embed_tokens(ids)[0]
    tensors = {
        "embeddings.word": word,
        "embeddings.output": out.hidden_states[0][0],
        "hidden_states": torch.stack([h[0] for h in out.hidden_states]),
        "attentions": torch.stack([a[0] for a in out.attentions]),
        "qkv.query": torch.stack(q_rot),
        "qkv.key": torch.stack(k_rot),
        "qkv.value": torch.stack(values),
        "qkv.query_unrotated": torch.stack(q_raw),
        "qkv.key_unrotated": torch.stack(k_raw),
        "scores": torch.stack(scores),
        "next_token_probs": torch.softmax(out.logits[0].float(), dim=-1),
    }
    meta = {"ids": ids[0].tolist(), "tokens": tokenizer.convert_ids_to_tokens(ids[0].tolist())}
    return tensors, meta


def greedy(model, tokenizer, prompt, new_tokens=10):
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        # The mask is given: generate would otherwise infer it from pad_token_id and could
        # take a BOS that shares its id for padding.
        out = model.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens, do_sample=False,
            eos_token_id=None, pad_token_id=0,
            output_logits=True, return_dict_in_generate=True,
        )
    generated = out.sequences[0, ids.shape[1]:].tolist()
    probs = [float(torch.softmax(s[0].float(), -1)[t]) for s, t in zip(out.logits, generated)]
    return {"prompt": prompt, "prompt_ids": ids[0].tolist(), "generated_ids": generated, "probs": probs}


def fast(folder: Path):
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return PreTrainedTokenizerFast(tokenizer_object=tok)


def main() -> None:
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    llama_tok = split_bpe_tokenizer(LLAMA3_SPLIT, ["<|begin_of_text|>", "<|end_of_text|>"], "<|begin_of_text|>")
    qwen_tok = split_bpe_tokenizer(QWEN2_SPLIT, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], None)
    common = dict(hidden_size=64, num_hidden_layers=2, max_position_embeddings=64, rms_norm_eps=1e-5)
    specs = {
        "tiny-llama": (LlamaConfig(
            vocab_size=llama_tok.get_vocab_size(), intermediate_size=96, num_attention_heads=8,
            num_key_value_heads=2, tie_word_embeddings=False, attention_bias=True, mlp_bias=True,
            bos_token_id=0, eos_token_id=1,
            rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                             "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                             "original_max_position_embeddings": 16}, **common), llama_tok, 11, 3.0),
        "tiny-mistral": (MistralConfig(
            vocab_size=llama_tok.get_vocab_size(), intermediate_size=96, num_attention_heads=4,
            num_key_value_heads=1, sliding_window=4, tie_word_embeddings=False, head_dim=16,
            bos_token_id=0, eos_token_id=1, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
            **common), llama_tok, 12, 3.0),
        "tiny-qwen2": (Qwen2Config(
            vocab_size=qwen_tok.get_vocab_size() + 16, intermediate_size=128, num_attention_heads=4,
            num_key_value_heads=2, tie_word_embeddings=True, eos_token_id=0,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, **common), qwen_tok, 13, 2.0),
        "tiny-qwen3": (Qwen3Config(
            vocab_size=qwen_tok.get_vocab_size(), intermediate_size=128, num_attention_heads=4,
            num_key_value_heads=2, head_dim=32, tie_word_embeddings=False, attention_bias=True,
            eos_token_id=0, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            **common), qwen_tok, 14, 3.0),
    }
    cases, continuations = [], {}
    for name, (config, tok, seed, head_scale) in specs.items():
        folder = FIXTURES / name
        built = build(folder, config, tok, seed, head_scale)
        model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
        # What was saved is what was built.
        for (a, p), (b, q) in zip(built.state_dict().items(), model.state_dict().items()):
            assert a == b and torch.equal(p, q), a
        tokenizer = fast(folder)
        for i, text in enumerate(TEXTS):
            write_case(cases, f"{name}-{i}", folder, text, None, *trace(model, tokenizer, text))
        continuations[name] = greedy(model, tokenizer, TEXTS[0])
        if name == "tiny-llama":
            sharded = FIXTURES / "tiny-llama-sharded"
            if sharded.exists():
                shutil.rmtree(sharded)
            model.save_pretrained(sharded, safe_serialization=True, max_shard_size="40KB")
            shutil.copy(folder / "tokenizer.json", sharded / "tokenizer.json")
            assert (sharded / "model.safetensors.index.json").exists()
            again = AutoModelForCausalLM.from_pretrained(sharded, attn_implementation="eager").eval()
            write_case(cases, "tiny-llama-sharded-0", sharded, TEXTS[1], None, *trace(again, tokenizer, TEXTS[1]))
    (FIXTURES / "llama_cases.json").write_text(json.dumps({
        "generator": "tests/reference/generate_llama.py",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cases": cases,
        "greedy": continuations,
    }, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
