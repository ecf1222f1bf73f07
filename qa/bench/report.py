"""Ratios that survive a noisy machine, and the short Markdown table of a bench run."""

from __future__ import annotations

from qa.index.vectors import ANN_THRESHOLD

from qa.bench.stats import ratio


def derive_ratios(results: dict) -> dict:
    """The comparisons the targets are stated in (see issue 6), from the raw figures."""
    out: dict = {}
    inproc = results.get("inprocess")
    http = results.get("http")
    if inproc:
        bare, search = inproc["sequential"]["bare"], inproc["sequential"]["search"]
        out["search_over_bare_p50"] = ratio(search["p50_ms"], bare["p50_ms"])
        out["search_over_bare_p99"] = ratio(search["p99_ms"], bare["p99_ms"])
        out["search_c16_rps_over_bare_c16_rps"] = ratio(inproc["search_concurrent"]["rps"],
                                                        inproc["bare_concurrent"]["rps"])
        out["batched_over_plain_search_rps_c16"] = ratio(inproc["search_batched_concurrent"]["rps"],
                                                         inproc["search_concurrent"]["rps"])
        out["batched_over_plain_search_p50_c1"] = ratio(inproc["sequential"]["search_batched"]["p50_ms"],
                                                        search["p50_ms"])
    if http:
        c1, c16 = http["search"]["c1"], http["search"]["c16"]
        out["http_search_over_hello_p50_c1"] = ratio(c1["p50_ms"], http["hello"]["c1"]["p50_ms"])
        out["http_search_over_hello_rps_c16"] = ratio(c16["rps"], http["hello"]["c16"]["rps"])
        if inproc:
            out["http_p50_c1_over_bare_p50"] = ratio(c1["p50_ms"], inproc["sequential"]["bare"]["p50_ms"])
            out["http_rps_c16_over_bare_rps_c16"] = ratio(c16["rps"], inproc["bare_concurrent"]["rps"])
    return out


def _ms(summary: dict) -> str:
    return f"{summary['p50_ms']:.2f} / {summary['p99_ms']:.2f}"


def _row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(results: dict) -> str:
    meta = results["meta"]
    ratios = results.get("ratios", {})
    lines = [f"### qa bench — {meta['date']}, {meta['cpus']} CPU cores, model `{meta['model']}`", ""]
    inproc, http = results.get("inprocess"), results.get("http")
    if inproc or http or results.get("build_s") is not None:
        lines += [_row("measure", "p50 / p99 ms", "req/s", "ratio"), _row("---", "---:", "---:", "---")]
    if inproc:
        seq = inproc["sequential"]
        lines.append(_row("in-process bare encoder + FAISS", _ms(seq["bare"]), "", ""))
        lines.append(_row("in-process search (engine)", _ms(seq["search"]), "",
                          f"{ratios.get('search_over_bare_p50')}× bare p50"))
        bare16, search16 = inproc["bare_concurrent"], inproc["search_concurrent"]
        lines.append(_row("in-process bare, 16 threads", _ms(bare16), bare16["rps"], ""))
        lines.append(_row("in-process search, 16 threads", _ms(search16), search16["rps"],
                          f"{ratios.get('search_c16_rps_over_bare_c16_rps')}× bare req/s"))
        lines.append(_row("in-process search, micro-batched, 1 thread", _ms(seq["search_batched"]), "",
                          f"{ratios.get('batched_over_plain_search_p50_c1')}× plain p50"))
        lines.append(_row("in-process bare, micro-batched, 16 threads", _ms(inproc["bare_batched_concurrent"]),
                          inproc["bare_batched_concurrent"]["rps"], ""))
        lines.append(_row("in-process search, micro-batched, 16 threads",
                          _ms(inproc["search_batched_concurrent"]), inproc["search_batched_concurrent"]["rps"],
                          f"{ratios.get('batched_over_plain_search_rps_c16')}× plain req/s"))
    if http:
        for level in ("c1", "c16"):
            hello, search = http["hello"][level], http["search"][level]
            lines.append(_row(f"HTTP hello, concurrency {level[1:]}", _ms(hello), hello["rps"], ""))
            note = (f"{ratios.get('http_p50_c1_over_bare_p50')}× bare p50 (target ≤ 1.5)" if level == "c1"
                    else f"{ratios.get('http_rps_c16_over_bare_rps_c16')}× bare req/s (target ≥ 0.8)")
            errors = f", errors {search['errors']}" if search["errors"] else ""
            lines.append(_row(f"HTTP /v1/search, concurrency {level[1:]}", _ms(search), search["rps"],
                              note + errors))
    if inproc:
        costs = ", ".join(f"{r['per_query_ms']} ms at batch {r['batch']}" for r in inproc["encoder_batch"])
        lines.append(_row("encoder cost per query", costs, "", ""))
    if results.get("build_s") is not None:
        lines.append(_row("index build (demo corpus, fresh folder)", f"{results['build_s']} s", "", ""))
    if http:
        lines.append(_row("cold start to /readyz (prebuilt index)", f"{http['cold_start_s']} s", "", ""))
        lines.append(_row("server peak RSS", f"{http['memory_after_load']['peak_rss_mb']} MB", "", ""))
    scale = results.get("scale")
    if scale:
        lines += ["", _row("vectors", "flat build s", "flat MB", "flat p50 ms", "HNSW build s", "HNSW MB",
                           "HNSW p50 ms", "HNSW recall@10"), _row(*["---:"] * 8)]
        for r in scale["sizes"]:
            lines.append(_row(f"{r['vectors']:,}", r["flat_build_s"], r["flat_memory_mb"],
                              r["flat_latency"]["p50_ms"], r["hnsw_build_s"], r["hnsw_memory_mb"],
                              r["hnsw_latency"]["p50_ms"], r["hnsw_recall@10"]))
        sweep = scale["flat_sweep"]
        if sweep:
            lines += ["", _row("flat index size", *[f"{r['vectors']:,}" for r in sweep]),
                      _row(*["---:"] * (len(sweep) + 1)),
                      _row("flat p50 ms", *[r["p50_ms"] for r in sweep])]
        threshold = scale["recommended_threshold"]
        lines += ["", f"Exact search reaches the {scale['budget_ms']} ms budget (half a query's "
                  f"encoding) at about {threshold:,} vectors; the service uses HNSW above "
                  f"{ANN_THRESHOLD:,}." if threshold else "No flat sweep to fit a threshold to."]
    return "\n".join(lines) + "\n"
