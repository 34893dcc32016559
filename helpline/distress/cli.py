"""`helpline detect`: assess text lines from stdin, or evaluate the detector on labelled cases."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .evaluate import LEVELS, evaluate


@click.command("detect")
@click.option("--jsonl", "jsonl", is_flag=True, help="Read JSON lines with 'text' and optional 'lang'.")
@click.option("--evaluate", "evaluate_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Score the detector on a JSONL file with 'text', 'lang' and 'label'.")
@click.option("--lang", "lang", default=None, help="Locale for plain text lines (guessed when absent).")
def detect(jsonl: bool, evaluate_file: Path | None, lang: str | None) -> None:
    """Print one JSON assessment per input line (level, lang, signals)."""
    from . import default_detector
    detector = default_detector()
    if evaluate_file is not None:
        print_evaluation(evaluate_file, detector)
        return
    for n, line in enumerate(sys.stdin, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        text, locale = line, lang
        if jsonl:
            try:
                record = json.loads(line)
                text, locale = record["text"], record.get("lang", lang)
            except (ValueError, KeyError, TypeError) as exc:
                raise click.ClickException(f"stdin line {n}: expected a JSON object with 'text' ({exc})")
        click.echo(json.dumps(detector.assess(text, locale).to_dict(), ensure_ascii=False))


def print_evaluation(path: Path, detector) -> None:
    """Per-level precision/recall, confusion matrix, safety figures and the misclassified lines."""
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except ValueError as exc:
                raise click.ClickException(f"{path}:{n}: not JSON ({exc})")
    try:
        report = evaluate(cases, lambda text, lang: detector.assess(text, lang).level)
    except (KeyError, ValueError) as exc:
        raise click.ClickException(f"{path}: bad case ({exc})")
    click.echo(f"cases: {report.total}")
    for level in LEVELS:
        click.echo(f"{level:8} precision {report.precision(level):.3f}  recall {report.recall(level):.3f}")
    click.echo("confusion (rows = label, columns = detected): " + " ".join(f"{lv:>8}" for lv in LEVELS))
    for gold in LEVELS:
        click.echo(f"  {gold:8} " + " ".join(f"{report.confusion[gold][p]:8d}" for p in LEVELS))
    click.echo(f"urgent recall: {report.recall('urgent'):.3f}")
    click.echo(f"urgent precision: {report.precision('urgent'):.3f}")
    click.echo(f"none rated urgent: {report.none_as_urgent:.3%}")
    click.echo(f"concern-or-urgent recall: {report.flagged_recall:.3f}")
    click.echo(f"misclassified: {len(report.errors)}")
    for err in report.errors:
        click.echo(f"  {err['id']}: {err['label']} -> {err['got']}: {err['text']}")
