"""`kb extract` and `kb eval`: run the extraction on a text, score it against the gold annotations."""

from __future__ import annotations

import json
import os
import sys

import click

from kb.cli.shared import EXIT_PARTIAL, echo_json


class PublishedDate(click.ParamType):
    """A publication date: YYYY-MM-DD (a full ISO timestamp is accepted too)."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        import datetime as dt

        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            try:
                return dt.datetime.fromisoformat(str(value)).date()
            except ValueError:
                self.fail(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-04-15", param, ctx)


def extract_jsonl_lines(lines, published):
    """Yield analysis items from JSON Lines input; bad lines yield an error dict instead."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"_error": f"line {number}: invalid JSON: {exc.msg}"}
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
            yield {"_error": f"line {number}: expected an object with a string \"text\""}
            continue
        raw = item.get("published")
        item_published = published
        if raw not in (None, ""):
            if not isinstance(raw, str):
                yield {"_error": f"line {number}: \"published\" must be a YYYY-MM-DD string"}
                continue
            try:
                item_published = PublishedDate().convert(raw, None, None)
            except click.BadParameter as exc:
                yield {"_error": f"line {number}: published: {exc.message}"}
                continue
        yield {"id": item.get("id", number), "text": item.get("text") or "", "published": item_published}


class TextFile(click.File):
    """FILE of `kb extract`: a file to read, or - for standard input; text given instead is told
    about --text."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if isinstance(value, str) and not os.path.lexists(value):
                shown = value if len(value) <= 40 else value[:37] + "..."
                self.fail(f"no file named {shown!r}: kb extract reads FILE, or standard input when FILE is - "
                          'or omitted; to give the text itself, use --text "..."', param, ctx)
            raise


@click.command()
@click.argument("file", type=TextFile("r", encoding="utf-8"), required=False)
@click.option("--text", default=None, help="Analyse this text instead of reading FILE or standard input.")
@click.option("--published", type=PublishedDate(), default=None,
              help="Publication date that relative dates (yesterday, on Tuesday) resolve against.")
@click.option("--jsonl", is_flag=True,
              help='Read JSON Lines {"id", "text", "published"}; write one result per line.')
def extract(file, text, published, jsonl):
    """Print the entities, dates and events found in a text (JSON).

    Reads FILE, or standard input when FILE is - or omitted, or the text
    given with --text. Offsets are character offsets into the text as given.

    \b
    Example:
        echo "Microsoft released MAI-Image-2-Efficient on Tuesday." | kb extract --published 2026-04-15
        kb extract --published 2026-04-15 --text "Microsoft released MAI-Image-2-Efficient on Tuesday."
        kb extract --jsonl articles.jsonl > analyses.jsonl
    """
    from kb.nlp.pipeline import analyze, analyze_many

    if text is not None and (file is not None or jsonl):
        raise click.UsageError("--text is the whole input: give it without FILE and without --jsonl")
    file = file or click.open_file("-", encoding="utf-8")
    try:
        if not jsonl:
            echo_json(analyze(file.read() if text is None else text, published))
            return
        failures = 0
        good: list[dict] = []

        def flush() -> None:
            for result in analyze_many(good):
                click.echo(json.dumps(result, ensure_ascii=False))
            good.clear()

        for item in extract_jsonl_lines(file, published):
            if "_error" in item:
                failures += 1
                click.echo(f"Error: {item['_error']} (skipped)", err=True)
                continue
            good.append(item)
            if len(good) >= 64:
                flush()
        flush()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"input is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    if failures:
        sys.exit(EXIT_PARTIAL)


def print_eval_report(report: dict) -> None:
    """The `kb eval` figures as a short table."""

    def row(name: str, figures: dict) -> None:
        click.echo(f"  {name:<22} P {figures['precision']:6.2f}  R {figures['recall']:6.2f}  "
                   f"F1 {figures['f1']:6.2f}  (gold {figures['gold']}, predicted {figures['predicted']})")

    click.echo(f"Sample gold: {report['documents']} articles")
    for kind in ("strict", "lenient", "linked"):
        row(f"entities {kind}", report["entities"][kind])
    tx = report["timexes"]
    for kind in ("relaxed", "value"):
        row(f"timexes {kind}", {"precision": tx[f"{kind}_precision"], "recall": tx[f"{kind}_recall"],
                                "f1": tx[f"{kind}_f1"], "gold": tx["gold"], "predicted": tx["predicted"]})
    row("events", report["events"])
    row("timeline dates", report["timeline_dates"])
    for split, figures in report.get("events_by_split", {}).items():
        row(f"events ({split})", figures["events"])
        row(f"timeline dates ({split})", figures["timeline_dates"])
    for split in ("all", "dev", "test") if report.get("passages") else ():
        row("passages" if split == "all" else f"passages ({split})", report["passages"][split])
    for split, figures in (report.get("timebank") or {}).items():
        click.echo(f"  timebank {split:<13} value F1 {figures['value_f1']:6.2f}  "
                   f"relaxed F1 {figures['relaxed_f1']:6.2f}  ({figures['documents']} documents)")
    facts = report.get("facts")
    if facts:
        top = "  ".join(f"top {n.removeprefix('top_')} {f['precision']:6.2f} ({f['correct']}/{f['events']})"
                        for n, f in facts["precision"].items())
        click.echo(f"Sample facts: {facts['facts']} key facts, {facts['events']} events")
        click.echo(f"  fact recall {facts['recall']:6.2f}  events per found fact "
                   f"{facts['fragmentation']:.2f}  most events for one fact {facts['max_events_per_fact']}")
        click.echo(f"  precision of the most important events: {top}")


@click.command(name="eval")
@click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Directory of gold JSON files (default data/gold/sample).")
@click.option("--floors", "floors_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Floors file (default data/gold/floors.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--timeml", "timeml_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Score only the temporal tagger on a folder of TimeML .tml files (TimeBank, "
                   "AQUAINT, TempEval-3); each subfolder is reported on its own.")
@click.option("--errors", is_flag=True, help="With --timeml: list every missed, spurious or misvalued timex.")
def eval_command(gold_dir, floors_path, as_json, timeml_dir, errors):
    """Score extraction against the gold annotations; fail below the floors.

    Prints precision, recall and F1 for entities, timexes (sample gold and the
    TimeML gold), events (type and sentence) and timeline dates (type,
    sentence and date value) on the sample articles, and the events of the
    gold passages (data/gold/passages.toml: type, agent, date and recap); then
    builds the sample base in a scratch directory and scores its events against
    the key facts of data/gold/facts.toml (fact recall, events per found fact,
    precision of the most important events). Exits 1 when a figure is below
    its floor (or above its ceiling).

    With --timeml DIR, scores only the temporal tagger on TimeML files a person
    has (their DCT is the anchor), as the TempEval-3 scorer counts: relaxed
    (overlapping spans) and value F1; no floors apply.

    \b
    Example:
        kb eval
        kb eval --json > eval.json
        kb eval --timeml ~/corpora/TBAQ-cleaned
    """
    if timeml_dir is not None:
        _eval_timeml(timeml_dir, as_json, errors)
        return
    from kb.jobs.evaluate import check_floors, evaluate
    from kb.jobs.passage_eval import score_passages

    report = evaluate(gold_dir)
    report["passages"] = score_passages()
    failures = check_floors(report, floors_path)
    if as_json:
        echo_json({**report, "floor_failures": failures})
    else:
        print_eval_report(report)
    for failure in failures:
        click.echo(f"Below floor: {failure}", err=True)
    if failures:
        sys.exit(EXIT_PARTIAL)


def _eval_timeml(directory: str, as_json: bool, errors: bool) -> None:
    """`kb eval --timeml DIR`: the tagger's TempEval-3 style scores on a TimeML corpus."""
    from kb.jobs.temporal_eval import evaluate_timexes, load_timeml_corpus, timex_errors

    docs = load_timeml_corpus(directory)
    report = evaluate_timexes(docs)
    if len(report) == 2:
        report.pop("all")  # one folder: its figures are the overall ones
    if as_json:
        echo_json(report)
    else:
        click.echo(f"TimeML corpus {directory}: {len(docs)} documents (TempEval-3 measures; DCT as anchor)")
        for split, f in report.items():
            click.echo(f"  {split:<12} relaxed P {f['relaxed_precision']:6.2f} R {f['relaxed_recall']:6.2f} "
                       f"F1 {f['relaxed_f1']:6.2f}   value P {f['value_precision']:6.2f} "
                       f"R {f['value_recall']:6.2f} F1 {f['value_f1']:6.2f}   strict F1 {f['strict_f1']:6.2f}"
                       f"  type {f['type_accuracy']:6.2f}  (gold {f['gold']}, predicted {f['predicted']}, "
                       f"{f['documents']} documents)")
    if errors:
        for doc in docs:
            for line in timex_errors(doc):
                click.echo(line)
