"""The analytics page rendered on the server: summary chart, content gaps, thumbs-down answers,
starter-question suggestions and exports, in Chinese or English. No script, nothing from a CDN."""

from __future__ import annotations

from html import escape

UI = {
    "en": {
        "title": "qa — analytics",
        "sign_in": "Sign in",
        "key": "Admin key",
        "sign_out": "Sign out",
        "bad_key": "That key is not an admin key.",
        "days": "Last {days} days",
        "asks": "Questions",
        "stated": "Answered",
        "related": "Only touched on",
        "none": "Not covered",
        "up": "Rated helpful",
        "down": "Rated unhelpful",
        "per_day": "Questions per day",
        "latency": "Median latency",
        "gaps": "What the documents are missing",
        "gaps_none": "No unanswered questions yet.",
        "asked": "asked {n}×",
        "nearest": "Closest passage",
        "down_list": "Answers rated unhelpful",
        "down_none": "No answer has been rated unhelpful.",
        "starters": "Suggested starter questions",
        "starters_none": "No answered question has been asked twice yet.",
        "export": "Export",
        "csv": "All questions (CSV)",
        "csv_down": "Rated unhelpful (CSV)",
        "lang": "中文",
        "languages": "By language",
        "reason": "Reason",
        "question": "Question",
        "support": "Support",
    },
    "zh": {
        "title": "qa — 使用分析",
        "sign_in": "登录",
        "key": "管理密钥",
        "sign_out": "退出",
        "bad_key": "这不是管理密钥。",
        "days": "最近 {days} 天",
        "asks": "提问",
        "stated": "已回答",
        "related": "仅有相关内容",
        "none": "未覆盖",
        "up": "点赞",
        "down": "点踩",
        "per_day": "每日提问",
        "latency": "延迟中位数",
        "gaps": "文档缺少的内容",
        "gaps_none": "还没有未回答的问题。",
        "asked": "被问 {n} 次",
        "nearest": "最接近的段落",
        "down_list": "被点踩的回答",
        "down_none": "还没有回答被点踩。",
        "starters": "推荐的开场问题",
        "starters_none": "还没有被问过两次的已回答问题。",
        "export": "导出",
        "csv": "全部问题（CSV）",
        "csv_down": "被点踩的（CSV）",
        "lang": "English",
        "languages": "按语言",
        "reason": "原因",
        "question": "问题",
        "support": "支持程度",
    },
}
SUPPORT_KEYS = ("stated", "related", "none")
CHART_HEIGHT = 120
BAR_WIDTH = 14


def _page(lang: str, body: str) -> str:
    text = UI[lang]
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(text["title"])}</title><link rel="stylesheet" href="/admin.css"></head>'
        f"<body><main>{body}</main></body></html>"
    )


def login_page(lang: str, failed: bool = False) -> str:
    text = UI[lang]
    error = f'<p class="error" role="alert">{escape(text["bad_key"])}</p>' if failed else ""
    other = "en" if lang == "zh" else "zh"
    return _page(
        lang,
        f"<h1>{escape(text['title'])}</h1>{error}"
        f'<form method="post" action="/admin/login?lang={lang}">'
        f'<label for="key">{escape(text["key"])}</label>'
        f'<input id="key" name="key" type="password" autocomplete="current-password" required>'
        f'<button type="submit">{escape(text["sign_in"])}</button></form>'
        f'<p><a href="/admin?lang={other}" lang="{other}">{escape(text["lang"])}</a></p>',
    )


def _chart(days: list[dict], lang: str) -> str:
    text = UI[lang]
    if not days:
        return ""
    peak = max(day["asks"] for day in days) or 1
    bars, x = [], 0
    for day in days:
        y = CHART_HEIGHT
        for key in SUPPORT_KEYS:
            height = round(CHART_HEIGHT * day[key] / peak)
            if height:
                y -= height
                bars.append(
                    f'<rect class="{key}" x="{x}" y="{y}" width="{BAR_WIDTH - 2}" height="{height}">'
                    f"<title>{escape(day['day'])}: {escape(text[key])} {day[key]}</title></rect>"
                )
        x += BAR_WIDTH
    label = f"{text['per_day']}: " + "; ".join(f"{d['day']} {d['asks']}" for d in days)
    legend = "".join(f'<li class="{k}">{escape(text[k])}</li>' for k in SUPPORT_KEYS)
    return (
        f'<h2>{escape(text["per_day"])}</h2><svg role="img" aria-label="{escape(label)}" '
        f'width="{max(x, BAR_WIDTH)}" height="{CHART_HEIGHT}" viewBox="0 0 {max(x, BAR_WIDTH)} {CHART_HEIGHT}">'
        f'{"".join(bars)}</svg><ul class="legend">{legend}</ul>'
    )


def _examples(examples: list[dict]) -> str:
    return "".join(f'<li lang="{e["lang"]}">{escape(e["question"])}</li>' for e in examples)


def _gap(gap: dict, text: dict[str, str]) -> str:
    nearest = gap.get("nearest_passage")
    nearest_html = (
        (
            f'<p class="nearest">{escape(text["nearest"])}: <span lang="{nearest["lang"]}">'
            f"{escape(nearest['citation']['label'])}</span></p>"
        )
        if nearest
        else ""
    )
    head = f"{text['asked'].format(n=gap['size'])} · {', '.join(gap['languages'])}"
    return f'<li><p class="gap-head">{escape(head)}</p><ul>{_examples(gap["examples"])}</ul>{nearest_html}</li>'


def dashboard_page(
    lang: str, days: int, summary: dict, gaps: list[dict], rated_down: list[dict], starters: dict[str, list[str]]
) -> str:
    text = UI[lang]
    totals = summary["totals"]
    other = "en" if lang == "zh" else "zh"
    cards = "".join(
        f'<div class="card {key}"><span class="value">{totals[key]}</span>'
        f'<span class="label">{escape(text[key])}</span></div>'
        for key in ("asks", *SUPPORT_KEYS, "up", "down")
    )
    latency = summary["latency_p50_ms"]
    latency_text = "" if latency is None else f" · {text['latency']} {latency:.0f} ms"
    header = (
        f"<header><h1>{escape(text['title'])}</h1><p>{escape(text['days'].format(days=days))}"
        f"{escape(latency_text)}</p>"
        f'<nav><a href="/admin?lang={other}&amp;days={days}" lang="{other}">{escape(text["lang"])}</a>'
        f'<form method="post" action="/admin/logout"><button type="submit">{escape(text["sign_out"])}</button>'
        f"</form></nav></header>"
    )
    languages = "".join(
        f'<tr><th scope="row">{escape(code)}</th><td>{c["asks"]}</td><td>{c["stated"]}</td>'
        f"<td>{c['related']}</td><td>{c['none']}</td></tr>"
        for code, c in summary["languages"].items()
    )
    language_table = (
        (
            f'<h2>{escape(text["languages"])}</h2><table><thead><tr><th scope="col"></th>'
            + "".join(f'<th scope="col">{escape(text[k])}</th>' for k in ("asks", *SUPPORT_KEYS))
            + f"</tr></thead><tbody>{languages}</tbody></table>"
        )
        if languages
        else ""
    )
    gap_items = "".join(_gap(g, text) for g in gaps)
    gap_section = f"<h2>{escape(text['gaps'])}</h2>" + (
        f'<ol class="gaps">{gap_items}</ol>' if gaps else f"<p>{escape(text['gaps_none'])}</p>"
    )
    down_rows = "".join(
        f'<tr><td lang="{q["lang"]}">{escape(q["question"])}</td><td>{escape(text[q["support"]])}</td>'
        f"<td>{escape(', '.join(q['reasons'] + q['comments']))}</td></tr>"
        for q in rated_down
    )
    down_section = f"<h2>{escape(text['down_list'])}</h2>" + (
        f'<table><thead><tr><th scope="col">{escape(text["question"])}</th><th scope="col">'
        f'{escape(text["support"])}</th><th scope="col">{escape(text["reason"])}</th></tr></thead>'
        f"<tbody>{down_rows}</tbody></table>"
        if rated_down
        else f"<p>{escape(text['down_none'])}</p>"
    )
    starter_items = "".join(f'<li lang="{code}">{escape(q)}</li>' for code, qs in starters.items() for q in qs)
    starter_section = f"<h2>{escape(text['starters'])}</h2>" + (
        f"<ul>{starter_items}</ul>" if starter_items else f"<p>{escape(text['starters_none'])}</p>"
    )
    exports = (
        f'<h2>{escape(text["export"])}</h2><p class="exports">'
        f'<a href="/admin/questions.csv?days={days}">{escape(text["csv"])}</a> '
        f'<a href="/admin/questions.csv?days={days}&amp;rating=down">{escape(text["csv_down"])}</a></p>'
    )
    return _page(
        lang,
        header
        + f'<section class="cards">{cards}</section>'
        + _chart(summary["days"], lang)
        + language_table
        + gap_section
        + down_section
        + starter_section
        + exports,
    )
