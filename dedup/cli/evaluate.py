"""``dedup eval``: a clustering scored against ground truth."""

from __future__ import annotations

import sys
from typing import Any

import click

from dedup.cli import exitcodes
from dedup.cli.common import (
    Reporter,
    build_settings,
    field_option,
    jobs_option,
    load_inputs,
    printable,
    quiet_option,
    read_options,
    settings_options,
)
from dedup.engines.local import scan_stories
from dedup.records import InputProblem


@click.command(name="eval", epilog=exitcodes.help_for(*exitcodes.READING))
@click.argument("inputs", nargs=-1, metavar="[INPUT...]")
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(dir_okay=False),
    help='True clusters: JSON Lines {"id", "cluster"} or CSV with id,cluster.',
)
@click.option(
    "--pairs",
    "pairs_path",
    type=click.Path(dir_okay=False),
    help='Score judged pairs: JSON Lines {"a", "b", "label"} or CSV a,b,label: how many pairs '
    "of each label end up in one cluster.",
)
@click.option(
    "--positive",
    "positive",
    metavar="LABEL,...",
    help="Pair labels that mean 'same story' for the pairs' precision and recall "
    "(default: wholly, partially, derived, yes, true, 1).",
)
@click.option(
    "--predicted",
    "predicted_path",
    type=click.Path(dir_okay=False),
    help="Score these clusters (dedup scan --format jsonl/csv output, or id,cluster "
    "labels) instead of scanning INPUT; labelled ids absent from it are singletons.",
)
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@click.option(
    "--errors",
    "error_limit",
    type=int,
    default=10,
    show_default=True,
    help="How many of the worst errors to list.",
)
@jobs_option
@field_option
@quiet_option
@settings_options
def evaluate_command(
    inputs: tuple[str, ...],
    labels_path: str | None,
    pairs_path: str | None,
    positive: str | None,
    predicted_path: str | None,
    fmt: str,
    error_limit: int,
    jobs: int,
    field_specs: tuple[str, ...],
    quiet: bool,
    **values: Any,
) -> None:
    """Score a clustering against ground truth: pairwise precision, recall and F1, Adjusted
    Rand Index, B-cubed, and the worst errors (false merges, missed pairs) with headlines.

    Clusters come from scanning INPUT with the given settings, or from --predicted. Give
    --labels (true clusters), --pairs (judged pairs, e.g. derived / not derived), or both.

    \b
    Examples:
      dedup eval --labels samples/labels.csv samples/
      dedup eval --pairs pairs.jsonl stories.jsonl
    """
    from dedup.views import evaluate

    settings = build_settings(values)
    reporter = Reporter(quiet)
    if labels_path is None and pairs_path is None:
        raise click.UsageError("give --labels, --pairs or both")
    try:
        truth = evaluate.read_labels(labels_path) if labels_path else {}
        pairs = evaluate.read_pair_labels(pairs_path) if pairs_path else None
        if predicted_path:
            # Stories a scan did not cluster are absent from its rows: they are singletons.
            predicted = evaluate.read_labels(predicted_path)
            predicted.update({i: "single:" + i for i in truth if i not in predicted})
            headlines: dict[str, str] = {}
            problems: list[InputProblem] = []
        elif inputs:
            stories, problems = load_inputs(inputs, read_options(field_specs), reporter)
            result = scan_stories(stories, settings, jobs=jobs, progress=reporter.progress())
            predicted = {s.id: "single:" + s.id for s in result.stories}
            predicted.update({m.id: c.id for c in result.clusters for m in c.members})
            headlines = {s.id: s.headline for s in result.stories}
        else:
            raise click.UsageError("give INPUT to scan, or --predicted clusters")
    except (OSError, ValueError) as err:
        raise click.BadParameter(str(err)) from None
    scores = evaluate.score(predicted, truth) if truth else None
    errors = evaluate.worst_errors(predicted, truth, headlines, limit=error_limit) if truth else []
    chosen = [label for label in (positive or "").split(",") if label.strip()]
    pair_scores = (
        evaluate.score_pairs(predicted, pairs, chosen or evaluate.DEFAULT_POSITIVE)
        if pairs is not None
        else None
    )
    if fmt == "json":
        import json
        from dataclasses import asdict

        data = {
            "scores": asdict(scores) if scores else None,
            "errors": [asdict(e) for e in errors],
        }
        if pair_scores is not None:
            data["pairs"] = asdict(pair_scores)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(printable(_scores_text(scores, errors, pair_scores)), nl=False)
    sys.exit(exitcodes.INPUT if problems else exitcodes.OK)


def _scores_text(scores: Any, errors: list[Any], pair_scores: Any) -> str:
    lines = (
        []
        if scores is None
        else [
            f"stories scored        {scores.stories}",
            f"pairwise precision    {scores.pairwise_precision:.4f}   ({scores.correct_pairs} of "
            f"{scores.predicted_pairs} predicted pairs are true)",
            f"pairwise recall       {scores.pairwise_recall:.4f}   ({scores.correct_pairs} of "
            f"{scores.true_pairs} true pairs found)",
            f"pairwise F1           {scores.pairwise_f1:.4f}",
            f"adjusted Rand index   {scores.ari:.4f}",
            f"B-cubed P / R / F1    {scores.bcubed_precision:.4f} / {scores.bcubed_recall:.4f} / "
            f"{scores.bcubed_f1:.4f}",
        ]
    )
    if scores is None:
        pass
    elif scores.missing_from_prediction:
        lines.append(f"labelled but not found: {len(scores.missing_from_prediction)}")
    if scores is not None and scores.unlabelled:
        lines.append(f"found but not labelled: {len(scores.unlabelled)}")
    if pair_scores is not None:
        lines.append(
            f"judged pairs          P {pair_scores.precision:.4f}  R {pair_scores.recall:.4f}"
            f"  F1 {pair_scores.f1:.4f}"
        )
        for row in pair_scores.rows:
            lines.append(
                f"  {row.label:<20} {row.linked:>6} of {row.pairs:<6} linked "
                f"({row.share_linked:.1%})"
            )
    if scores is None:
        pass
    elif errors:
        lines.append("worst errors:")
        for error in errors:
            heads = f"  [{error.a_headline} | {error.b_headline}]" if error.a_headline else ""
            lines.append(f"  {error.kind:<12} {error.a}  {error.b}{heads}")
    else:
        lines.append("no errors")
    return "\n".join(lines) + "\n"
