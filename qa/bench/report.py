"""Ratios that survive a noisy machine, and the short Markdown table of a bench run."""

from __future__ import annotations

from qa.bench.stats import ratio
from qa.store.local.vectors import ANN_THRESHOLD


def derive_ratios(results: dict) -> dict:
    """The comparisons the targets are stated in (see issue 6), from the raw figures."""
    out: dict = {}
    inproc = results.get("inprocess")
    http = results.get("http")
    if inproc:
        bare, search = inproc["sequential"]["bare"], inproc["sequential"]["search"]
        out["search_over_bare_p50"] = ratio(search["p50_ms"], bare["p50_ms"])
        out["search_over_bare_p99"] = ratio(search["p99_ms"], bare["p99_ms"])
        out["search_c16_rps_over_bare_c16_rps"] = ratio(
            inproc["search_concurrent"]["rps"], inproc["bare_concurrent"]["rps"]
        )
        out["batched_over_plain_search_rps_c16"] = ratio(
            inproc["search_batched_concurrent"]["rps"], inproc["search_concurrent"]["rps"]
        )
        out["batched_over_plain_search_p50_c1"] = ratio(
            inproc["sequential"]["search_batched"]["p50_ms"], search["p50_ms"]
        )
    if http:
        c1, c16 = http["search"]["c1"], http["search"]["c16"]
        out["http_search_over_hello_p50_c1"] = ratio(c1["p50_ms"], http["hello"]["c1"]["p50_ms"])
        out["http_search_over_hello_rps_c16"] = ratio(c16["rps"], http["hello"]["c16"]["rps"])
        if inproc:
            out["http_p50_c1_over_bare_p50"] = ratio(c1["p50_ms"], inproc["sequential"]["bare"]["p50_ms"])
            out["http_rps_c16_over_bare_rps_c16"] = ratio(c16["rps"], inproc["bare_concurrent"]["rps"])
    out.update(hard_case_ratios(results))
    return out


# Targets of issue 12, as ratios to floors measured in the same run.
NEIGHBOUR_P50_TARGET = 2.5
NEIGHBOUR_WORST_TARGET = 8.0
BUILD_THROUGHPUT_TARGET = 0.8
KEYWORD_MS_TARGET = 5.0


def hard_case_ratios(results: dict) -> dict:
    """Busy neighbour and rebuild against the quiet bare encoder + FAISS; build vs bare encoder."""
    out: dict = {}
    for policy, leg in (results.get("neighbour") or {}).items():
        floor = leg["quiet"]["bare"]["p50_ms"]
        suffix = "" if policy == "qa" else f"_{policy.replace('-', '_')}"
        out[f"neighbour_search_p50_over_quiet_bare_p50{suffix}"] = ratio(leg["busy"]["search"]["p50_ms"], floor)
        out[f"neighbour_search_worst_over_quiet_bare_p50{suffix}"] = ratio(leg["busy"]["search"]["max_ms"], floor)
        out[f"neighbour_bare_p50_over_quiet_bare_p50{suffix}"] = ratio(leg["busy"]["bare"]["p50_ms"], floor)
        out[f"quiet_search_p50_over_quiet_bare_p50{suffix}"] = ratio(leg["quiet"]["search"]["p50_ms"], floor)
    rebuild = results.get("rebuild")
    if rebuild and rebuild.get("during_build"):
        during, quiet = rebuild["during_build"], rebuild["quiet"]
        out["rebuild_http_p50_over_quiet_http_p50"] = ratio(during["p50_ms"], quiet["p50_ms"])
        out["rebuild_http_p99_over_quiet_http_p99"] = ratio(during["p99_ms"], quiet["p99_ms"])
        if "qa" in (results.get("neighbour") or {}):
            floor = results["neighbour"]["qa"]["quiet"]["bare"]["p50_ms"]
            out["rebuild_http_p50_over_quiet_bare_p50"] = ratio(during["p50_ms"], floor)
            out["rebuild_http_p99_over_quiet_bare_p50"] = ratio(during["p99_ms"], floor)
    build = results.get("build_throughput")
    if build:
        out["build_over_bare_encoder_throughput"] = build["build_over_bare_throughput"]
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
        lines.append(
            _row(
                "in-process search (engine)", _ms(seq["search"]), "", f"{ratios.get('search_over_bare_p50')}× bare p50"
            )
        )
        bare16, search16 = inproc["bare_concurrent"], inproc["search_concurrent"]
        lines.append(_row("in-process bare, 16 threads", _ms(bare16), bare16["rps"], ""))
        lines.append(
            _row(
                "in-process search, 16 threads",
                _ms(search16),
                search16["rps"],
                f"{ratios.get('search_c16_rps_over_bare_c16_rps')}× bare req/s",
            )
        )
        lines.append(
            _row(
                "in-process search, micro-batched, 1 thread",
                _ms(seq["search_batched"]),
                "",
                f"{ratios.get('batched_over_plain_search_p50_c1')}× plain p50",
            )
        )
        lines.append(
            _row(
                "in-process bare, micro-batched, 16 threads",
                _ms(inproc["bare_batched_concurrent"]),
                inproc["bare_batched_concurrent"]["rps"],
                "",
            )
        )
        lines.append(
            _row(
                "in-process search, micro-batched, 16 threads",
                _ms(inproc["search_batched_concurrent"]),
                inproc["search_batched_concurrent"]["rps"],
                f"{ratios.get('batched_over_plain_search_rps_c16')}× plain req/s",
            )
        )
    if http:
        for level in ("c1", "c16"):
            hello, search = http["hello"][level], http["search"][level]
            lines.append(_row(f"HTTP hello, concurrency {level[1:]}", _ms(hello), hello["rps"], ""))
            note = (
                f"{ratios.get('http_p50_c1_over_bare_p50')}× bare p50 (target ≤ 1.2)"
                if level == "c1"
                else f"{ratios.get('http_rps_c16_over_bare_rps_c16')}× bare req/s (target ≥ 0.8)"
            )
            errors = f", errors {search['errors']}" if search["errors"] else ""
            lines.append(_row(f"HTTP /v1/search, concurrency {level[1:]}", _ms(search), search["rps"], note + errors))
    if inproc:
        costs = ", ".join(f"{r['per_query_ms']} ms at batch {r['batch']}" for r in inproc["encoder_batch"])
        lines.append(_row("encoder cost per query", costs, "", ""))
    filtered = results.get("filtered")
    if filtered:
        lines.append(
            _row(
                f"filtered search, {filtered['kept_share']:.1%} of passages kept (same query vector)",
                _ms(filtered["filtered"]),
                "",
                f"{filtered['p50_ratio']}× unfiltered p50 {filtered['unfiltered']['p50_ms']} ms (target ≤ 1.2)"
                + ("" if filtered["full_top_k"] else "; top-k NOT filled"),
            )
        )
    lines += _ask_rows(results.get("ask"))
    lines += _hard_case_rows(results, ratios)
    lines += _flood_rows(results)
    if results.get("build_s") is not None:
        lines.append(_row("index build (demo corpus, fresh folder)", f"{results['build_s']} s", "", ""))
    if http:
        lines.append(_row("cold start to /readyz (prebuilt index)", f"{http['cold_start_s']} s", "", ""))
        lines.append(_row("server peak RSS", f"{http['memory_after_load']['peak_rss_mb']} MB", "", ""))
    scale = results.get("scale")
    if scale:
        lines += [
            "",
            _row(
                "vectors",
                "flat build s",
                "flat MB",
                "flat p50 ms",
                "HNSW build s",
                "HNSW MB",
                "HNSW p50 ms",
                "HNSW recall@10",
            ),
            _row(*["---:"] * 8),
        ]
        for r in scale["sizes"]:
            lines.append(
                _row(
                    f"{r['vectors']:,}",
                    r["flat_build_s"],
                    r["flat_memory_mb"],
                    r["flat_latency"]["p50_ms"],
                    r["hnsw_build_s"],
                    r["hnsw_memory_mb"],
                    r["hnsw_latency"]["p50_ms"],
                    r["hnsw_recall@10"],
                )
            )
        sweep = scale["flat_sweep"]
        if sweep:
            lines += [
                "",
                _row("flat index size", *[f"{r['vectors']:,}" for r in sweep]),
                _row(*["---:"] * (len(sweep) + 1)),
                _row("flat p50 ms", *[r["p50_ms"] for r in sweep]),
            ]
        threshold = scale["recommended_threshold"]
        lines += [
            "",
            f"Exact search reaches the {scale['budget_ms']} ms budget (half a query's "
            f"encoding) at about {threshold:,} vectors; the service uses HNSW above "
            f"{ANN_THRESHOLD:,}."
            if threshold
            else "No flat sweep to fit a threshold to.",
        ]
    keyword = results.get("keyword_scale")
    if keyword:
        lines += [
            "",
            _row("synthetic passages", "keyword top-k p50 / p99 ms", "worst ms", "postings a query (p50 / max)"),
            _row("---:", "---:", "---:", "---:"),
        ]
        for r in keyword:
            lines.append(
                _row(
                    f"{r['passages']:,}",
                    _ms(r),
                    r["max_ms"],
                    f"{r['postings_per_query_p50']:,} / {r['postings_per_query_max']:,}",
                )
            )
        lines += ["", f"Target: keyword top-{keyword[-1]['k']} ≤ {KEYWORD_MS_TARGET} ms at 1M passages."]
    return "\n".join(lines) + "\n"


def _worst(summary: dict) -> str:
    return f"{summary['p50_ms']:.2f} / {summary['max_ms']:.2f}"


def _hard_case_rows(results: dict, ratios: dict) -> list[str]:
    rows = []
    for policy, leg in (results.get("neighbour") or {}).items():
        suffix = "" if policy == "qa" else f"_{policy.replace('-', '_')}"
        label = "" if policy == "qa" else f" ({policy})"
        rows.append(
            _row(
                f"quiet: bare encoder + FAISS{label}, p50 / worst of {leg['queries']}",
                _worst(leg["quiet"]["bare"]),
                "",
                "floor",
            )
        )
        rows.append(
            _row(
                f"one busy neighbour: search{label}, p50 / worst",
                _worst(leg["busy"]["search"]),
                "",
                f"{ratios.get('neighbour_search_p50_over_quiet_bare_p50' + suffix)}× / "
                f"{ratios.get('neighbour_search_worst_over_quiet_bare_p50' + suffix)}× quiet bare p50 "
                f"(targets ≤ {NEIGHBOUR_P50_TARGET} / ≤ {NEIGHBOUR_WORST_TARGET})",
            )
        )
    rebuild = results.get("rebuild")
    if rebuild and rebuild.get("during_build"):
        during = rebuild["during_build"]
        rows.append(_row("HTTP /v1/search, quiet, concurrency 1", _ms(rebuild["quiet"]), "", ""))
        finished = "" if rebuild["build_finished"] else ", build stopped"
        rows.append(
            _row(
                f"HTTP /v1/search during `qa build` ({during['n']} requests{finished})",
                _ms(during),
                "",
                f"{ratios.get('rebuild_http_p50_over_quiet_http_p50')}× / "
                f"{ratios.get('rebuild_http_p99_over_quiet_http_p99')}× quiet p50 / p99",
            )
        )
    upload = results.get("upload_build")
    if upload:
        during, quiet = upload["during_build"], upload["quiet"]
        rows.append(
            _row(
                f"steady /v1/search while the server builds a {upload['document_chars']:,}-character upload "
                f"({upload['paragraphs']:,} paragraphs), p50 / p95",
                f"{during['p50_ms']:.2f} / {during['p95_ms']:.2f}",
                "",
                f"{upload['p50_x_quiet']}× / {upload['p95_x_quiet']}× quiet p50 / p95 {quiet['p50_ms']:.2f} / "
                f"{quiet['p95_ms']:.2f} ms (target p50 ≤ {BUILD_P50_TARGET}); the build meanwhile "
                f"{upload['build_texts_per_s']} texts/s of {upload['texts_expected']}",
            )
        )
    build = results.get("build_throughput")
    if build:
        rows.append(
            _row(
                f"build encoding, {build['texts']} texts",
                f"{build['build_texts_per_s']} texts/s",
                "",
                f"{build['build_over_bare_throughput']}× bare encoder "
                f"({build['bare_texts_per_s']} texts/s; target ≥ {BUILD_THROUGHPUT_TARGET})",
            )
        )
    return rows


ANALYTICS_TARGET = 1.1
SCRIPT_TARGET = 1.1
BUILD_P50_TARGET = 2.0
FLOOD_P50_TARGET = 3.0
UPLOAD_RSS_TARGET_MB = 100


def _ask_rows(leg: dict | None) -> list[str]:
    if not leg:
        return []
    ratios = leg["ratios"]
    rows = []
    for path in ("ask", "search"):
        for name, figures in leg[path].items():
            rows.append(
                _row(f"HTTP /v1/{path}, {name.replace('_', ' ')}, {figures['n']} in turn", _ms(figures), "", "")
            )
    rows.append(
        _row(
            "/v1/ask p50, question log on / off",
            "",
            "",
            f"{ratios['ask_p50_analytics_on_over_off']}× (target ≤ {ANALYTICS_TARGET})",
        )
    )
    for path in ("ask", "search"):
        twins = leg[f"script_{path}"]
        rows.append(
            _row(
                f"HTTP /v1/{path}, {leg['chinese_twins']} Chinese questions, p50 Simplified / Traditional",
                f"{twins['zh-Hans']['p50_ms']:.2f} / {twins['zh-Hant']['p50_ms']:.2f}",
                "",
                f"{ratios[f'{path}_p50_traditional_over_simplified']}× (target ≤ {SCRIPT_TARGET})",
            )
        )
    for path in ("ask", "search"):
        key = f"{path}_p50_now_over_baseline"
        if key in ratios:
            rows.append(_row(f"/v1/{path} p50, this checkout / baseline", "", "", f"{ratios[key]}×"))
    return rows


def _flood_rows(results: dict) -> list[str]:
    rows = []
    for kind, leg in (results.get("flood") or {}).items():
        if not leg.get("under_flood"):
            continue
        quiet, busy = leg["quiet"], leg["under_flood"]
        rows.append(
            _row(
                f"steady /v1/search under a {kind} flood ({leg['clients']} clients), p50 / p95 / worst",
                f"{busy['p50_ms']:.2f} / {busy['p95_ms']:.2f} / {busy['max_ms']:.2f}",
                "",
                f"{leg['p50_x_quiet']}× / {leg['p95_x_quiet']}× quiet p50 / p95 {quiet['p50_ms']:.2f} / "
                f"{quiet['p95_ms']:.2f} ms (target p50 ≤ {FLOOD_P50_TARGET}); "
                f"steady statuses {leg['under_flood_statuses']}, flood statuses {leg['flood_statuses']}",
            )
        )
    uploads = results.get("upload_flood")
    if uploads:
        rows.append(
            _row(
                f"RSS under {uploads['clients']} × {uploads['rounds']} keyless uploads of 2 × {uploads['file_mb']} MB",
                f"{uploads['memory_before']['rss_mb']} → peak {uploads['rss_peak_during_mb']} MB",
                "",
                f"+{uploads['rss_growth_mb']} MB (target ≤ +{UPLOAD_RSS_TARGET_MB}); "
                f"uploads {uploads['upload_statuses']}, steady {uploads['steady_statuses']}",
            )
        )
    return rows
