"""Retrieval components on their own: fusion, tone restoration from the corpus, query analysis, locality."""

from bot.engine.knowledge import Chunk
from bot.engine.retrieval import Localities, QueryAnalyzer, reciprocal_rank_fusion
from bot.engine.tones import CorpusToneRestorer, restore_tones


def test_reciprocal_rank_fusion_weights_and_ranks():
    fused = reciprocal_rank_fusion([([1, 2, 3], 1.0), ([3, 1], 0.5)], k=60)
    assert fused[1] == 1 / 61 + 0.5 / 62
    assert fused[3] == 1 / 63 + 0.5 / 61
    assert sorted(fused, key=fused.get, reverse=True)[0] == 1
    assert reciprocal_rank_fusion([]) == {}


def test_corpus_tone_restorer_prefers_the_knowledge_wording():
    corpus = ["Đăng ký tài khoản định danh điện tử mức 2 tại Công an xã."] * 2 + ["Tải ứng dụng VNeID."] * 2
    r = CorpusToneRestorer(corpus)
    assert r.restore("dang ky tai khoan dinh danh dien tu muc 2") == "Đăng ký tài khoản định danh điện tử mức 2"
    # a run seen only once is not trusted; pyvi's guess stays
    assert CorpusToneRestorer(corpus[:1] + corpus[2:]).table.get(("dang", "ky")) is None


def test_restore_tones_never_raises():
    assert restore_tones("gia vang sjc hom nay") != ""  # pyvi raises KeyError on some inputs
    assert restore_tones("") == ""


def test_query_analyzer_expands_and_restores_only_unaccented_questions():
    a = QueryAnalyzer(tones="restore", corpus_tones=False)
    q = a.run("ko biet dvc la j")
    assert q.expanded == "không biet dịch vụ công la gì"
    assert not q.had_diacritics and len(q.dense_texts) == 1
    assert "dich_vu" in q.tokens and "dvc" in q.tokens  # BM25 sees both the expansion and what was typed
    typed = a.run("Dịch vụ công là gì")
    assert typed.had_diacritics and typed.dense_texts == ["Dịch vụ công là gì"]
    assert len(QueryAnalyzer(tones="blend", corpus_tones=False).run("dvc la gi").dense_texts) == 2


def _local(path, locality, kind="plan"):
    """A chunk of a local document: only its path, kind and locality matter to `Localities`."""
    return Chunk(
        id=path,
        path=path,
        title="t",
        kind=kind,
        topics=["PLAN"],
        heading_path=[],
        text="x",
        meta={"locality": locality},
    )


def test_locality_booster_finds_places_named_in_a_question():
    class Index:
        chunks = [
            _local("plans/con-cuong.md", "xã Con Cuông, tỉnh Nghệ An"),
            _local("plans/cao-bang.md", "tỉnh Cao Bằng"),
            _local("explainers/x.md", "toàn quốc"),
        ]

    booster = Localities(Index())
    analyzer = QueryAnalyzer(corpus_tones=False)
    assert booster.paths_for(analyzer.run("Kế hoạch của xã Con Cuông có gì?")) == {"plans/con-cuong.md"}
    assert booster.paths_for(analyzer.run("ke hoach cua cao bang")) == {"plans/cao-bang.md"}
    assert booster.paths_for(analyzer.run("nghị quyết 57 là gì")) == set()


def _plans_index():
    from bot.engine.tuning import Tuning

    class Index:
        chunks = [
            _local("plans/muong-mun.md", "xã Mường Mùn, tỉnh Điện Biên"),
            _local("plans/dien-bien.md", "tỉnh Điện Biên"),
            _local("plans/con-cuong.md", "xã Con Cuông, tỉnh Nghệ An"),
            _local("plans/cao-bang.md", "tỉnh Cao Bằng"),
            _local("explainers/x.md", "toàn quốc", kind="explainer"),
        ]

    return Index(), Tuning()


def test_home_commune_first_then_its_province_and_other_plans_only_when_named():
    index, tuning = _plans_index()
    places = Localities(index, home="muong-mun")
    assert places.home_known
    assert places.home_paths == {"plans/muong-mun.md"} and places.province_paths == {"plans/dien-bien.md"}
    analyzer = QueryAnalyzer(corpus_tones=False)

    def fused_after(question):
        fused = dict.fromkeys(range(len(index.chunks)), 1.0)
        asks_home = places.adjust(fused, index.chunks, analyzer.run(question), tuning)
        return {index.chunks[i].path: score for i, score in fused.items()}, asks_home

    scores, asks_home = fused_after("Kế hoạch của xã mình đặt mục tiêu gì đến 2030?")
    assert asks_home
    assert set(scores) == {"plans/muong-mun.md", "plans/dien-bien.md", "explainers/x.md"}  # others' plans dropped
    assert scores["plans/muong-mun.md"] > scores["plans/dien-bien.md"] > scores["explainers/x.md"]
    # without diacritics, and "ở đây"
    assert fused_after("xa minh bao cao vao ngay nao")[1] and fused_after("o day co lop hoc khong")[1]
    # a place named wins over the home commune: its plan answers
    scores, asks_home = fused_after("kế hoạch của xã Con Cuông có gì")
    assert not asks_home and scores["plans/con-cuong.md"] == max(scores.values())
    # a question that names no place still never gets another commune's plan
    scores, _ = fused_after("kế hoạch tuyên truyền có những hình thức nào")
    assert "plans/con-cuong.md" not in scores and "plans/cao-bang.md" not in scores


def test_a_plan_only_cited_is_named_as_not_held():
    """The commune plans cite their province's plan ("Thực hiện Kế hoạch số 3267/KH-UBND … của UBND tỉnh Điện
    Biên") but the knowledge does not hold it: asked for its content, the plan is named as not held."""

    def plan(path, locality, number=""):
        chunk = _local(path, locality)
        chunk.meta["number"] = number
        return chunk

    class Index:
        chunks = [
            plan("plans/muong-mun.md", "xã Mường Mùn, tỉnh Điện Biên", "01/KH-UBND"),
            plan("plans/cao-bang.md", "tỉnh Cao Bằng", "209/KH-UBND"),
            plan("plans/tan-hoi.md", "xã Tân Hội, tỉnh An Giang"),
        ]

    places = Localities(Index(), home="muong-mun")
    assert places.unheld_plan("Kế hoạch 3267 của tỉnh Điện Biên đặt chỉ tiêu gì?") == "Kế hoạch số 3267"
    assert places.unheld_plan("tinh dien bien giao chi tieu gi cho cac xa") == "kế hoạch của tỉnh Điện Biên"
    assert places.unheld_plan("kh so 45 cua an giang dat muc tieu gi") == "Kế hoạch số 45"
    # held: a plan's own number, a province with its own plan, a commune named, "xã mình", a year
    assert places.unheld_plan("kế hoạch 209 đặt mục tiêu gì") == ""
    assert places.unheld_plan("tỉnh Cao Bằng đặt chỉ tiêu gì đến 2030") == ""
    assert places.unheld_plan("xã Tân Hội làm theo kế hoạch số 45 của tỉnh, đặt mục tiêu gì") == ""
    assert places.unheld_plan("xã mình làm theo kế hoạch số mấy của tỉnh Điện Biên") == ""
    assert places.unheld_plan("tan hoi lam ke hoach theo van ban so may cua tinh an giang") == ""  # without "xã"
    assert places.unheld_plan("kế hoạch 2026 của tỉnh Cao Bằng") == ""
    # a province named but not its plan's content
    assert places.unheld_plan("xã Mường Mùn thuộc tỉnh Điện Biên phải không") == ""
    # a commune whose plan is not held, typed with capitals or after "của xã"; "xã hội", "xã mình" are not names
    assert places.unheld_plan("Kế hoạch của xã Mường Phăng đặt mục tiêu gì") == "kế hoạch của xã Mường Phăng"
    assert places.unheld_plan("ke hoach cua xa na tau co chi tieu gi") == "kế hoạch của xã Na Tau"
    assert places.unheld_plan("kế hoạch của xã Tân Hội đặt mục tiêu gì") == ""
    assert places.unheld_plan("ke hoach giao mang xa hoi cua xa minh lam gi") == ""
    assert places.unheld_plan("Phòng Văn hóa - Xã hội xã chủ trì kế hoạch gì") == ""
    assert places.unheld_plan("phuong cham tuyen truyen trong ke hoach cua con cuong la gi") == ""  # phương châm


def test_without_a_home_commune_every_plan_stays_and_xa_minh_is_flagged():
    index, tuning = _plans_index()
    places = Localities(index)
    assert not places.home_known
    fused = dict.fromkeys(range(len(index.chunks)), 1.0)
    assert places.adjust(fused, index.chunks, QueryAnalyzer(corpus_tones=False).run("xã ta báo cáo khi nào"), tuning)
    assert len(fused) == len(index.chunks)
    assert not Localities(index, home="khong-co-xa-nay").home_known


def test_question_words_typed_without_marks_are_read_as_asked():
    """The knowledge rarely holds "ngày nào" or "mấy ngày", so pyvi guessed them ("ngay não", "máy ngay")."""
    r = CorpusToneRestorer(["Quyết định được ký ngày 16/6/2025."] * 2)
    assert r.restore("quyet dinh ky ngay nao").lower() == "quyết định ký ngày nào"
    assert r.restore("mat may ngay thi xong").startswith("Mất mấy") and "thì xong" in r.restore("mat may ngay thi xong")
    assert r.restore("nghi quyet do ai ky").endswith("do ai ký")
    assert r.restore("tai khoan muc may").endswith("mức mấy")
    # the people and hearsay of a story
    assert r.restore("chi gai e nghe noi").lower() == "chị gái e nghe nói"
    assert CorpusToneRestorer([], phrases=[]).phrases == {}
