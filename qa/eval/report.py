"""Human summaries of `qa eval` reports."""

from __future__ import annotations


def format_report(report: dict) -> str:
    """The human summary: a metrics table per mode, abstention, then the misses."""
    lines = [
        f"{report['questions']} questions ({report['answerable']} answerable, "
        f"{report['unanswerable']} without an answer) from {report['file']}",
        "",
        f"{'mode':<6} {'hit@1':>6} {'hit@5':>6} {'mrr@10':>7}",
    ]
    for mode, m in report["modes"].items():
        lines.append(f"{mode:<6} {m['hit@1']:>6.3f} {m['hit@5']:>6.3f} {m['mrr@10']:>7.3f}")
    lines.append("")
    for signal, a in report["abstention"].items():
        precision = "n/a" if a["precision"] is None else f"{a['precision']:.3f}"
        recall = "n/a" if a["recall"] is None else f"{a['recall']:.3f}"
        lines.append(
            f"abstention via {signal}: precision {precision}, recall {recall} "
            f"({a['flagged_unanswerable']}/{a['unanswerable']} unanswerable flagged, "
            f"{a['flagged_answerable']}/{a['answerable']} answerable wrongly flagged)"
        )
        for err in a["errors"]:
            what = "flagged but answerable" if err["answerable"] else "not flagged"
            lines.append(f"  {err['id']} {what}: {err['question']}")
    answers = report["answers"]
    if answers["answerable"]:
        by_lang = ", ".join(f"{k} {v:.3f}" for k, v in answers["by_lang"].items() if v is not None)
        lines += [
            "",
            f"/v1/ask answer sentence holds the answer: {answers['with_gold']}/"
            f"{answers['answerable']} ({answers['rate']:.3f}; {by_lang})",
        ]
        for miss in answers["misses"]:
            lines.append(f"  {miss['id']}: {miss['question']}\n      answer: {miss['answer']}")
    lines += ["", f"{'support':<12} {'n':>5} {'stated':>8} {'related':>8} {'none':>8}"]
    for kind, row in report.get("support", {}).items():
        lines.append(f"{kind:<12} {row['n']:>5} {row['stated']:>8} {row['related']:>8} {row['none']:>8}")
    if report["misses"]:
        lines += ["", "misses (first result was not an answer):"]
    for miss in report["misses"]:
        first = miss["first"]
        got = f"{first['passage_id']}: {first['text'][:80]}" if first else "(no results)"
        rank = miss["rank"] or f">{10}"
        lines.append(f"  [{miss['mode']}] {miss['id']} (answer at rank {rank}) {miss['question']}\n      first: {got}")
    return "\n".join(lines)


def _ranking_table(rows: dict) -> list[str]:
    lines = [f"{'ranking':<16} " + "  ".join(f"{m + ' hit@1/mrr@10':>20}" for m in ("any", "same", "cross"))]
    for name, modes in rows.items():
        lines.append(
            f"{name:<16} "
            + "  ".join(f"{modes[m]['hit@1']:>9.3f} / {modes[m]['mrr@10']:.3f}" for m in ("any", "same", "cross"))
        )
    return lines


def support_lines(support: dict) -> list[str]:
    """The support table: kinds of question × what /v1/ask said (stated / related / none)."""
    lines = [f"{'support':<12} {'n':>5} {'stated':>14} {'related':>14} {'none':>14}"]
    for kind, row in support["table"].items():
        cells = "".join(f"{row[level]:>6} ({row[level] / row['n']:>5.1%})" for level in ("stated", "related", "none"))
        lines.append(f"{kind:<12} {row['n']:>5} {cells}")
    by_lang = ", ".join(f"{k} {v:.3f}" for k, v in support["quote_holds_answer_by_lang"].items() if v is not None)
    lines += [
        f"answerable stated from a passage holding the answer: {support['answerable_stated_from_gold_passage']:.3f}",
        f"quoted sentence holds the answer (answerable, any level): {by_lang}",
    ]
    return lines


def _summary_lines(summary: dict) -> list[str]:
    a = summary["abstention"]
    answers = summary["answers"]
    by_lang = ", ".join(f"{k} {v:.3f}" for k, v in answers["by_lang"].items() if v is not None)
    return [
        *_ranking_table(summary["ranking"]),
        f"search abstention: {a['flagged_unanswerable']}/{a['unanswerable']} unanswerable flagged, "
        f"{a['flagged_answerable']}/{a['answerable']} answerable wrongly refused",
        f"answer sentence holds the answer: {answers['contains_answer']:.3f} of answerable ({by_lang})",
        *support_lines(summary["support"]),
    ]


def format_cv(report: dict) -> str:
    """Pooled held-out figures, then per question set, then the reliability table."""
    lines = [f"{report['items']} questions, {report['folds']}-fold cross-validation (held-out figures)", ""]
    lines += _summary_lines(report)
    for name, summary in report["by_set"].items():
        lines += ["", f"[{name}] {summary['items']} questions", *_summary_lines(summary)]
    lines += ["", "reliability (held-out): confidence bin, n, mean confidence, observed answerable"]
    for row in report["reliability"]:
        lines.append(f"  {row['bin']}  n={row['n']:<4} {row['mean_confidence']:.3f}  {row['observed_answerable']:.3f}")
    lines += [
        "",
        "fitted per fold: "
        + "; ".join(
            f"sentence {f['fusion']['sentence_weight']}, keyword {f['fusion']['keyword_weight']}, "
            f"threshold {f['abstention']['threshold']:.3f}, stated ≥ {f['verification']['threshold']:.3f}, "
            f"covered ≥ {f['topic']['threshold']:.3f}"
            for f in report["fits"]
        ),
    ]
    return "\n".join(lines)
