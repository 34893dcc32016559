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
@click.option("--train", "train_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Fit the learned urgency weights on the labelled FILES and write them here.")
@click.option("--train-concern", "concern_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Fit the learned concern weights (concern or urgent against none) and write them here.")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def detect(jsonl: bool, evaluate_file: Path | None, lang: str | None, train_out: Path | None,
           concern_out: Path | None, files: tuple[Path, ...]) -> None:
    """Print one JSON assessment per input line (level, lang, signals).

    With --train OUT FILE...: fit the learned weights on labelled JSONL files (text, lang, label),
    print their 5-fold cross-validated figures, and write them to OUT; --train-concern OUT FILE...
    does the same for the concern weights.
    """
    if train_out is not None or concern_out is not None:
        if train_out is not None:
            train_weights(train_out, files)
        if concern_out is not None:
            train_weights(concern_out, files, target="concern")
        return
    if files:
        raise click.UsageError("FILES are only read with --train")
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


def read_cases(path: Path) -> list[dict]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                case = json.loads(line)
                if case["label"] not in LEVELS or not isinstance(case["text"], str):
                    raise ValueError(f"label {case['label']!r}")
            except (ValueError, KeyError, TypeError) as exc:
                raise click.ClickException(f"{path}:{n}: not a labelled case ({exc})")
            cases.append(case)
    return cases


def train_weights(out: Path, files: tuple[Path, ...], target: str = "urgent") -> None:
    """Fit on every case of `files` as the lexicons see them, report cross-validation, write `out`.

    `target` "urgent": urgent against the rest; "concern": concern or urgent against none."""
    from .detector import Detector, learned_keys
    from .learned import CONCERN_THRESHOLD, Fit, cross_validate, train, write_weights
    if not files:
        raise click.UsageError("--train needs labelled JSONL files")
    lexicons = Detector(learned=None)      # the words as the detector reads them, without old weights
    examples, lexicon_raised = [], []
    for path in files:
        for case in read_cases(path):
            cols = lexicons.normalizer.split(case["text"])
            matches = lexicons.matcher.find_keys(cols.keys, cols.brk)
            idioms = [(m.i, m.j) for m in matches["idiom"]]
            positive = case["label"] == "urgent" if target == "urgent" else case["label"] != "none"
            examples.append((learned_keys(cols.keys, matches), idioms, positive, case["label"]))
            level = lexicons.assess(case["text"], case.get("lang")).level
            lexicon_raised.append(level == "urgent" if target == "urgent" else level != "none")
    fit = Fit() if target == "urgent" else Fit(threshold=CONCERN_THRESHOLD)
    alone = cross_validate(examples, fit)
    both = cross_validate(examples, fit, also=lambda k: lexicon_raised[k])
    what = "urgent" if target == "urgent" else "concern-or-urgent"
    click.echo(f"cases: {len(examples)} ({sum(e[2] for e in examples)} {what})")
    click.echo(f"5-fold, threshold {fit.threshold}: weights alone catch {alone['recall']:.3f} of {what} cases "
               f"and raise {alone['none_raised']:.1%} of 'none' ones; with the lexicons (tuned on these "
               f"cases, so optimistic) {both['recall']:.3f} and {both['none_raised']:.1%}")
    bias, weights = train([e[:3] for e in examples], fit)
    write_weights(out, bias, weights, fit, [str(p) for p in files], target)
    click.echo(f"wrote {out}: {len(weights)} weights")


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
