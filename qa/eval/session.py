"""Open the services a run needs (the configured corpus, and any other corpus) and run it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from qa.embed.model import load_encoder
from qa.eval import fit, followup
from qa.eval.questions import load_questions
from qa.eval.runner import InProcessClient, live_client, run_file
from qa.fsutil import atomic_write_json
from qa.service import open_service
from qa.settings import get_settings


def _services(paths: list[Path], extra: list[tuple[Path, Path]]):
    """(service, questions file, set name) triples: the files on the configured corpus (named
    by file), then the other corpora (named by corpus folder)."""
    settings = get_settings()
    encoder = load_encoder(settings.model, settings.threads)
    pairs = []
    if paths:
        service = open_service(settings, progress=False, encoder=encoder)
        pairs += [(service, p, p.stem) for p in paths]
    for corpus, questions in extra:
        # Each other corpus gets its own index under a cache folder keyed by the corpus path.
        key = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:10]
        other = settings.model_copy(
            update={"corpus_dir": corpus, "auto_build": True, "index_dir": settings.index_dir / "eval-sets" / key}
        )
        pairs.append((open_service(other, progress=False, encoder=encoder), questions, corpus.name))
    return pairs


def run_sets(paths: list[Path], extra: list[tuple[Path, Path]], url: str | None) -> dict:
    reports = []
    if url:
        if extra:
            raise ValueError("--set needs the index in process; drop --url")
        with live_client(url) as client:
            reports = [run_file(client, p) for p in paths]
    else:
        reports = [run_file(InProcessClient(service), p) for service, p, _ in _services(paths, extra)]
    return {"files": reports}


def relative(path: Path) -> str:
    """`path` relative to the working folder when inside it: the calibration names no machine."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def cross_validate_sets(
    paths: list[Path], extra: list[tuple[Path, Path]], folds: int, fit_out: Path | None, followups: Path | None = None
) -> dict:
    items = []
    services = _services(paths, extra)
    for service, path, name in services:
        items += fit.prepare(service.engine, load_questions(path), name)
    report = fit.cross_validate(items, folds)
    report["files"] = [relative(p) for p in paths] + [f"{relative(c)}={relative(q)}" for c, q in extra]
    if fit_out is not None:
        engine = services[0][0].engine
        rule = engine.calibration.followup
        if followups is not None:  # refit the follow-up rule on the demo corpus's conversations
            rule = followup.fit_rule(followup.MemoEngine(engine), followup.load_followups(followups)).__dict__
        calibration = fit.fit_calibration(items, followup=rule)
        source = {
            "fitted_on": report["files"] + ([relative(followups)] if followups else []),
            "items": len(items),
            "folds": folds,
            "held_out": {k: report[k] for k in ("ranking", "abstention", "answers", "support")},
        }
        data = calibration.to_json() | {"source": source}
        atomic_write_json(fit_out, data)
        report["calibration"] = data
    return report
