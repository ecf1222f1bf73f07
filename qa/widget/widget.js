/* qa chat widget: bilingual (中文 / English) answers with citations, embedded by one tag:
     <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
   Optional: data-lang="zh|zh-Hant|en" (default: the page's lang; zh-TW, zh-HK, zh-MO and zh-Hant
   pages get Traditional labels), data-title="…" (panel heading), data-key="…" (a public widget
   key, QA_WIDGET_KEYS, when the API requires keys), data-collection="…" (ask that collection),
   data-starter-questions='["…"]' or '{"zh": […], "zh-Hant": […], "en": […]}' (shown before the
   first question; without it the collection's own starter questions, if the server has any).
   No framework, no build step, nothing loaded at run time but widget.css and the API. Everything
   that comes from the server or the user is inserted as text (createTextNode / textContent),
   never parsed as HTML. */
(function () {
  "use strict";
  if (!window.customElements || customElements.get("qa-chat")) return;

  const SCRIPT = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const SCRIPT_URL = new URL((SCRIPT && SCRIPT.src) || "/widget.js", location.href);
  const SCRIPT_DATA = (SCRIPT && SCRIPT.dataset) || {};
  // An answer may take long on a busy server; a stream resets it with each chunk (heartbeats).
  const REQUEST_TIMEOUT_MS = 30000;
  const FEEDBACK_TIMEOUT_MS = 15000;
  const MAX_TURNS = 40; // kept in sessionStorage; older turns drop off
  const MAX_HISTORY = 5; // earlier questions sent with each one, so follow-ups can lean on them
  const MAX_QUESTION_CHARS = 1000;
  const MAX_COMMENT_CHARS = 1000; // the API's limit on a feedback comment
  const MAX_STARTERS = 4;
  const CONTEXT_CHARS = { zh: 60, en: 170 }; // text shown around the answer sentence
  const LANG_NAMES = { zh: "中文", en: "English" };
  const SUPPORT_LEVELS = ["stated", "related", "none"];
  const FEEDBACK_REASONS = ["wrong", "not_relevant", "outdated", "other"];

  /* UI strings. zh-Hant was made from zh once, offline, with OpenCC s2twp and then checked by hand: the
     widget converts nothing at run time. */
  const STRINGS = {
    en: {
      title: "Ask the documents", subtitle: "Answers quoted from the source · 中文 / English",
      open: "Open the question assistant", close: "Close the question assistant",
      clear: "Clear the conversation", showIn: "Show sources in", both: "Both",
      welcomeTitle: "Ask a question in 中文 or English",
      welcome: "Answers are quoted from the documents with the paragraphs they come from. " +
        "Open a source to read it in both languages.",
      starters: "You could ask:",
      inputLabel: "Your question", placeholder: "Ask a question…", send: "Send",
      thinking: "Looking for the answer…", you: "You", bot: "Assistant",
      sources: "Sources", related: "Related passages",
      notCovered: "The documents don't seem to cover this question. These passages come closest:",
      relatedLead: "The documents don't state this; the closest they say is:",
      closestLabel: "The closest they say is:",
      showMore: "Show the whole paragraph", showLess: "Show less",
      sourceAction: "show the passage and its translation", retry: "Try again",
      converted: "Shown in {script} characters.", convertedAny: "Shown in your script.",
      scripts: { "zh-Hant": "Traditional Chinese", "zh-Hans": "Simplified Chinese" },
      showOriginal: "Show the original text",
      feedbackPrompt: "Was this helpful?", feedbackUp: "Helpful", feedbackDown: "Not helpful",
      reasonsLegend: "What was wrong?",
      reasons: { wrong: "The answer is wrong", not_relevant: "It doesn't answer my question",
        outdated: "It's out of date", other: "Something else" },
      commentLabel: "Comment (optional)", feedbackSend: "Send feedback",
      feedbackThanks: "Thank you for your feedback.",
      feedbackFailed: "Your feedback couldn't be sent just now; the conversation is unaffected. " +
        "Please try again later.",
      feedbackGone: "This answer can no longer be rated.",
      cleared: "Conversation cleared. A new one has started.",
      errNetwork: "Can't reach the answer service right now. Check your connection and try again.",
      errTimeout: "The answer took too long to arrive. Please try again.",
      errRate: "You're asking a little fast. Please wait {n} seconds, then try again.",
      errBusy: "The answer service is starting up. Please try again in a few seconds.",
      errServer: "The answer service ran into a problem (error {status}). Please try again shortly.",
      errRequest: "This question couldn't be sent: {message}",
      errStream: "The answer service ran into a problem: {message}",
      errInterrupted: "The answer was cut off on its way. Please try again.",
      foot: "Answers are extracted from the documents. Check the cited sources.",
      documents: "{n} documents",
    },
    zh: {
      title: "文档问答", subtitle: "答案引自原文 · 中文 / English",
      open: "打开问答助手", close: "关闭问答助手", clear: "清空对话",
      showIn: "来源显示", both: "双语",
      welcomeTitle: "用中文或英文提问",
      welcome: "答案摘自文档原文，并注明出处段落。点开来源，可对照阅读中英文原文。",
      starters: "可以这样问：",
      inputLabel: "你的问题", placeholder: "输入问题…", send: "发送",
      thinking: "正在查找答案…", you: "你", bot: "助手",
      sources: "来源", related: "相关段落",
      notCovered: "文档中似乎没有涉及这个问题。以下是最相关的段落：",
      relatedLead: "文档未说明这一点，最接近的内容是：",
      closestLabel: "最接近的内容是：",
      showMore: "显示整段", showLess: "收起", sourceAction: "查看原文及译文", retry: "重试",
      converted: "已转换为{script}显示。", convertedAny: "已转换为你使用的字体显示。",
      scripts: { "zh-Hant": "繁体字", "zh-Hans": "简体字" },
      showOriginal: "显示原文",
      feedbackPrompt: "这个回答有帮助吗？", feedbackUp: "有帮助", feedbackDown: "没有帮助",
      reasonsLegend: "哪里有问题？",
      reasons: { wrong: "答案有误", not_relevant: "没有回答我的问题", outdated: "内容过时",
        other: "其他" },
      commentLabel: "补充说明（可选）", feedbackSend: "提交反馈",
      feedbackThanks: "感谢你的反馈。",
      feedbackFailed: "反馈暂时无法发送，不影响对话，请稍后再试。",
      feedbackGone: "这个回答已无法评价。",
      cleared: "对话已清空，新的对话已开始。",
      errNetwork: "暂时无法连接问答服务，请检查网络后重试。",
      errTimeout: "回答超时了，请重试。",
      errRate: "提问太频繁了，请等待 {n} 秒后重试。",
      errBusy: "问答服务正在启动，请几秒后重试。",
      errServer: "问答服务出现问题（错误 {status}），请稍后重试。",
      errRequest: "问题无法提交：{message}",
      errStream: "问答服务出现问题：{message}",
      errInterrupted: "回答中断了，请重试。",
      foot: "答案摘自文档原文，请以引用来源为准。",
      documents: "{n} 份文档",
    },
    "zh-Hant": {
      title: "文件問答", subtitle: "答案引自原文 · 中文 / English",
      open: "開啟問答助手", close: "關閉問答助手", clear: "清空對話",
      showIn: "來源顯示", both: "雙語",
      welcomeTitle: "用中文或英文提問",
      welcome: "答案摘自文件原文，並註明出處段落。點開來源，可對照閱讀中英文原文。",
      starters: "可以這樣問：",
      inputLabel: "你的問題", placeholder: "輸入問題…", send: "傳送",
      thinking: "正在查詢答案…", you: "你", bot: "助手",
      sources: "來源", related: "相關段落",
      notCovered: "文件中似乎沒有涉及這個問題。以下是最相關的段落：",
      relatedLead: "文件未說明這一點，最接近的內容是：",
      closestLabel: "最接近的內容是：",
      showMore: "顯示整段", showLess: "收起", sourceAction: "檢視原文及譯文", retry: "重試",
      converted: "已轉換為{script}顯示。", convertedAny: "已轉換為你使用的字體顯示。",
      scripts: { "zh-Hant": "繁體字", "zh-Hans": "簡體字" },
      showOriginal: "顯示原文",
      feedbackPrompt: "這個回答有幫助嗎？", feedbackUp: "有幫助", feedbackDown: "沒有幫助",
      reasonsLegend: "哪裡有問題？",
      reasons: { wrong: "答案有誤", not_relevant: "沒有回答我的問題", outdated: "內容過時",
        other: "其他" },
      commentLabel: "補充說明（選填）", feedbackSend: "送出回饋",
      feedbackThanks: "感謝你的回饋。",
      feedbackFailed: "回饋暫時無法傳送，不影響對話，請稍後再試。",
      feedbackGone: "這個回答已無法評價。",
      cleared: "對話已清空，新的對話已開始。",
      errNetwork: "暫時無法連線問答服務，請檢查網路後重試。",
      errTimeout: "回答逾時了，請重試。",
      errRate: "提問太頻繁了，請等待 {n} 秒後重試。",
      errBusy: "問答服務正在啟動，請幾秒後重試。",
      errServer: "問答服務出現問題（錯誤 {status}），請稍後重試。",
      errRequest: "問題無法提交：{message}",
      errStream: "問答服務出現問題：{message}",
      errInterrupted: "回答中斷了，請重試。",
      foot: "答案摘自文件原文，請以引用來源為準。",
      documents: "{n} 份文件",
    },
  };

  const ICONS = {
    chat: ["M21 11.5a8.4 8.4 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.4 8.4 0 0 1-3.8-.9L3 21l1.9-5.7" +
      "a8.4 8.4 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.4 8.4 0 0 1 3.8-.9h.5a8.5 8.5 0 0 1 8 8z"],
    close: ["M18 6 6 18", "M6 6l12 12"],
    send: ["M12 19V5", "M5 12l7-7 7 7"],
    trash: ["M3 6h18", "M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6", "M10 11v6", "M14 11v6",
      "M9 6V4a1 1 0 0 1 1-1h4a1 1 0 0 1 1 1v2"],
    retry: ["M1 4v6h6", "M3.5 15a9 9 0 1 0 2.1-9.4L1 10"],
    book: ["M2 3h6a4 4 0 0 1 4 4v14a3 3 0 0 0-3-3H2z", "M22 3h-6a4 4 0 0 0-4 4v14a3 3 0 0 1 3-3h7z"],
    spark: ["M12 3l1.9 5.1L19 10l-5.1 1.9L12 17l-1.9-5.1L5 10l5.1-1.9z", "M19 17l.7 1.8 1.8.7-1.8.7" +
      "L19 22l-.7-1.8-1.8-.7 1.8-.7z"],
    // 👍 / 👎 drawn (after Lucide's icons, ISC), not emoji: many systems have no colour emoji font.
    up: ["M7 10v12", "M15 5.9 14 10h5.8a2 2 0 0 1 1.9 2.6l-2.3 8A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2" +
      "v-8a2 2 0 0 1 2-2h2.8a2 2 0 0 0 1.8-1.1L12 2a3.1 3.1 0 0 1 3 3.9z"],
    down: ["M17 14V2", "M9 18.1 10 14H4.2a2 2 0 0 1-1.9-2.6l2.3-8A2 2 0 0 1 6.5 2H20a2 2 0 0 1 2 2" +
      "v8a2 2 0 0 1-2 2h-2.8a2 2 0 0 0-1.8 1.1L12 22a3.1 3.1 0 0 1-3-3.9z"],
    info: ["M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z", "M12 16v-4", "M12 8h.01"],
  };

  // ---- small DOM helpers: attributes are set one by one and children are always text nodes ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    for (const d of ICONS[name]) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
  }

  let idCounter = 0;
  const uid = (prefix) => `qa-${prefix}-${++idCounter}`;

  // ---- styles: fetched once, adopted by each shadow root (no inline style needed under CSP) ----
  let cssText = null;
  function loadCss() {
    cssText = cssText || fetch(new URL("widget.css", SCRIPT_URL).href, { credentials: "omit" })
      .then((r) => (r.ok ? r.text() : ""))
      .catch(() => "");
    return cssText;
  }

  function adoptCss(root, css) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        root.adoptedStyleSheets = [sheet];
        return null;
      } catch (_) { /* old engine: fall back to a <style> element */ }
    }
    return el("style", {}, css);
  }

  // ---- text: answer highlighting and citation labels ----
  // ---- text: quote highlighting, support levels, script conversion and citation labels ----
  /** "zh-TW", "zh-HK", "zh-MO", "zh-Hant…" → Traditional labels; other "zh…" → Simplified. */
  function uiLanguage(tag) {
    const lower = String(tag).toLowerCase();
    if (!lower.startsWith("zh")) return "en";
    return /^zh-(hant|tw|hk|mo)\b/.test(lower) || /-hant\b/.test(lower) ? "zh-Hant" : "zh";
  }

  /** Split `text` around the quote: offsets are code points (as in Python); else find the text. */
  function locateAnswer(text, span) {
    const chars = Array.from(text);
    const { start, end } = span;
    if (Number.isInteger(start) && Number.isInteger(end) &&
        chars.slice(start, end).join("") === span.text) {
      return { before: chars.slice(0, start).join(""), hit: span.text,
        after: chars.slice(end).join("") };
    }
    const at = span.text ? text.indexOf(span.text) : -1;
    if (at < 0) return null;
    return { before: text.slice(0, at), hit: span.text, after: text.slice(at + span.text.length) };
  }

  const SENTENCE_END = /[。！？；!?;]|\.(?=\s)/g;

  /** The end of `before` (whole sentences where possible) and the start of `after`. */
  function clipContext(before, after, lang) {
    const limit = CONTEXT_CHARS[lang] || CONTEXT_CHARS.en;
    let lead = before, tail = after;
    if (before.length > limit) {
      const window = before.slice(before.length - limit);
      const ends = [...window.matchAll(SENTENCE_END)];
      const cut = ends.length ? ends[0].index + ends[0][0].length : -1;
      const rest = cut >= 0 ? window.slice(cut).trimStart() : "";
      lead = rest.length > 0 ? rest : "…" + window.replace(/^\S*\s/, "");
    }
    if (after.length > limit) {
      const window = after.slice(0, limit);
      const ends = [...window.matchAll(SENTENCE_END)];
      const last = ends[ends.length - 1];
      tail = last ? window.slice(0, last.index + last[0].length)
        : window.replace(/\s\S*$/, "") + "…";
    }
    return { before: lead, after: tail, clipped: lead !== before || tail !== after };
  }

  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

  /** An answer or closest span the widget can quote, or null. */
  function validSpan(span) {
    return isObject(span) && typeof span.text === "string" && span.text ? span : null;
  }

  /** The text converted to the asker's Chinese script, when the server gave one that differs. */
  function convertedText(item) {
    const converted = isObject(item) ? item.text_converted : null;
    return typeof converted === "string" && converted && converted !== item.text ? converted : null;
  }

  /** The level to show: the server's `support`, else today's `answerable`. A level without its
      quote falls back to "none", so nothing is ever shown as an answer that has none. */
  function supportOf(data) {
    const level = SUPPORT_LEVELS.includes(data.support) ? data.support
      : data.answerable ? "stated" : "none";
    if (level === "stated") return data.answerable !== false && validSpan(data.answer) ? "stated" : "none";
    if (level === "related") return validSpan(data.closest) ? "related" : "none";
    return "none";
  }

  /** "三、重点领域…" → "三、", "（二）…" → "（二）", "III. In-Depth…" → "III", "2. Faster…" → "2". */
  function shortSection(name) {
    let m = name.match(/^([一二三四五六七八九十百]+、)/);
    if (m) return m[1];
    m = name.match(/^[（(]([一二三四五六七八九十]+)[）)]/);
    if (m) return `（${m[1]}）`;
    m = name.match(/^([IVXLC]+|\d{1,2})\.\s/);
    if (m) return m[1];
    return name.length > 14 ? name.slice(0, 13) + "…" : name;
  }

  function chipLabel(citation, lang) {
    const parts = (citation.section || []).map(shortSection);
    const path = lang === "zh" ? parts.join("") : parts.join(".");
    return path ? `¶${citation.paragraph} · ${path}` : `¶${citation.paragraph}`;
  }

  function passageOf(p) {
    return { text: String(p.text ?? ""), converted: convertedText(p), lang: p.lang };
  }

  /** One group per aligned unit: a Chinese passage and its English translation cite once. */
  function groupSources(citations, preferLang) {
    const groups = [];
    const byId = new Map();
    for (const c of citations) {
      if (!c || typeof c.passage_id !== "string" || !c.citation) continue;
      const translations = (Array.isArray(c.translations) ? c.translations : [])
        .filter((t) => isObject(t) && typeof t.passage_id === "string");
      const ids = [c.passage_id, ...translations.map((t) => t.passage_id)];
      let group = ids.map((id) => byId.get(id)).find(Boolean);
      if (!group) {
        group = { members: [], texts: {}, ids: new Set() };
        groups.push(group);
      }
      group.members.push(c);
      for (const p of [c, ...translations]) {
        const texts = (group.texts[p.lang] = group.texts[p.lang] || new Map());
        if (!texts.has(p.passage_id)) texts.set(p.passage_id, passageOf(p));
      }
      for (const id of ids) { byId.set(id, group); group.ids.add(id); }
    }
    for (const g of groups) g.lead = g.members.find((m) => m.lang === preferLang) || g.members[0];
    return groups;
  }

  function findPassage(citations, passageId) {
    for (const c of citations) {
      if (c.passage_id === passageId) return passageOf(c);
      for (const t of Array.isArray(c.translations) ? c.translations : []) {
        if (isObject(t) && t.passage_id === passageId) return passageOf(t);
      }
    }
    return null;
  }

  function hasConversion(span, citations) {
    return Boolean(convertedText(span)) || citations.some((c) => convertedText(c) ||
      (Array.isArray(c.translations) && c.translations.some(convertedText)));
  }

  /** The starter questions for a UI language from a list or a {"zh": […], "en": […]} object
      ("zh-Hant" falls back on "zh"); anything else gives none. */
  function startersFor(value, uiLang) {
    let list = value;
    if (isObject(value)) list = value[uiLang] || (uiLang === "zh-Hant" ? value.zh : null);
    if (!Array.isArray(list)) return [];
    return list.filter((q) => typeof q === "string" && q.trim())
      .map((q) => q.trim().slice(0, MAX_QUESTION_CHARS)).slice(0, MAX_STARTERS);
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (_) {
      console.warn("qa-chat: data-starter-questions is not JSON; no starter questions shown");
      return null;
    }
  }

  // ---- the API ----
  function apiHeaders(key, extra) {
    return Object.assign(key ? { "X-API-Key": key } : {}, extra || {});
  }

  /** An abort signal that fires `ms` after the last touch(): each chunk of a stream counts. */
  function deadline(ms) {
    const controller = new AbortController();
    let timer = setTimeout(() => controller.abort(), ms);
    return {
      signal: controller.signal,
      touch() { clearTimeout(timer); timer = setTimeout(() => controller.abort(), ms); },
      stop() { clearTimeout(timer); },
    };
  }

  async function failureOf(res) {
    let message = "";
    try {
      const body = await res.json();
      if (body && body.error && typeof body.error.message === "string") message = body.error.message;
    } catch (_) { /* not our error body: the status says enough */ }
    const wait = parseInt(res.headers.get("Retry-After") || "", 10);
    const kind = res.status === 429 ? "rate" : res.status === 503 ? "busy"
      : res.status >= 500 ? "server" : "request";
    return { kind, status: res.status, message, retryAfter: wait > 0 ? wait : null };
  }

  /** Server-sent events from a fetch body (EventSource cannot POST). `onEvent(name, data)`
      returns true to stop reading; comments (heartbeats) are skipped, and so is an event the
      stream ends in the middle of. */
  async function readEvents(res, onEvent, onChunk) {
    let buffer = "", name = "", data = [], finished = false;
    const feed = (text) => {
      buffer += text;
      const pendingCr = buffer.endsWith("\r"); // maybe half of "\r\n": wait for the next chunk
      if (pendingCr) buffer = buffer.slice(0, -1);
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() + (pendingCr ? "\r" : "");
      for (const line of lines) {
        if (finished) return;
        if (line === "") {
          if (data.length || name) finished = onEvent(name || "message", data.join("\n"));
          name = "";
          data = [];
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") name = value;
          else if (field === "data") data.push(value);
        }
      }
    };
    if (!res.body || typeof res.body.getReader !== "function") {
      feed(await res.text());
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) break;
      onChunk();
      feed(decoder.decode(value, { stream: true }));
    }
    if (finished) reader.cancel().catch(() => {});
  }

  /** The events of /v1/ask: `passages` (sources, shown at once), `answer` (the JSON body),
      `done`, or `error`. */
  async function streamedAnswer(res, onPassages, clock) {
    let answer = null, failure = null;
    try {
      await readEvents(res, (name, raw) => {
        if (name === "done") return true;
        let payload = null;
        try { payload = JSON.parse(raw); } catch (_) { return false; }
        const ranked = isObject(payload) ? (payload.passages || payload.citations) : null;
        if (name === "passages" && Array.isArray(ranked)) {
          onPassages(ranked);
        } else if (name === "answer") {
          answer = payload;
        } else if (name === "error") {
          failure = (isObject(payload) && isObject(payload.error)) ? payload.error : {};
          return true;
        }
        return false;
      }, () => clock.touch());
    } catch (_) {
      if (!answer) return { error: { kind: clock.signal.aborted ? "timeout" : "interrupted" } };
    }
    if (failure) {
      const message = typeof failure.message === "string" ? failure.message : "";
      return { error: { kind: message ? "stream" : "interrupted", code: failure.code, message } };
    }
    if (!isObject(answer)) return { error: { kind: "interrupted" } };
    return Array.isArray(answer.citations) ? { data: answer } : { error: { kind: "server", status: res.status } };
  }

  /** POST /v1/ask, streamed when the server can (`onPassages` gets the sources early). */
  async function askApi(api, key, body, onPassages) {
    const clock = deadline(REQUEST_TIMEOUT_MS);
    try {
      let res;
      try {
        res = await fetch(`${api}/v1/ask`, {
          method: "POST", mode: "cors", credentials: "omit", signal: clock.signal,
          headers: apiHeaders(key, { "Content-Type": "application/json", Accept: "text/event-stream" }),
          body: JSON.stringify(body),
        });
      } catch (_) {
        return { error: { kind: clock.signal.aborted ? "timeout" : "network" } };
      }
      if (!res.ok) return { error: await failureOf(res) };
      const type = (res.headers.get("Content-Type") || "").toLowerCase();
      if (type.startsWith("text/event-stream")) return await streamedAnswer(res, onPassages, clock);
      const data = await res.json(); // a server that does not stream answers JSON
      if (!isObject(data) || !Array.isArray(data.citations)) return { error: { kind: "server", status: res.status } };
      return { data };
    } catch (_) {
      return { error: { kind: clock.signal.aborted ? "timeout" : "network" } };
    } finally {
      clock.stop();
    }
  }

  /** POST /v1/feedback → "sent", "gone" (unknown or expired answer) or "failed". */
  async function sendFeedback(api, key, body) {
    const clock = deadline(FEEDBACK_TIMEOUT_MS);
    try {
      const res = await fetch(`${api}/v1/feedback`, {
        method: "POST", mode: "cors", credentials: "omit", signal: clock.signal,
        headers: apiHeaders(key, { "Content-Type": "application/json" }), body: JSON.stringify(body),
      });
      return res.ok ? "sent" : res.status === 404 ? "gone" : "failed";
    } catch (_) {
      return "failed";
    } finally {
      clock.stop();
    }
  }

  /** The collection's `starter_questions` from GET /v1/collections, or null (none, or a server
      without collections). */
  async function collectionStarters(api, key, collection) {
    try {
      const res = await fetch(`${api}/v1/collections`, { credentials: "omit", headers: apiHeaders(key) });
      if (!res.ok) return null;
      const body = await res.json();
      const items = Array.isArray(body) ? body : isObject(body) ? (body.items || body.collections) : null;
      if (!Array.isArray(items)) return null;
      const wanted = collection || "default";
      const item = items.find((c) => isObject(c) && [c.name, c.id, c.collection].includes(wanted)) ||
        (!collection && items.length === 1 ? items[0] : null);
      return isObject(item) ? item.starter_questions ?? null : null;
    } catch (_) {
      return null;
    }
  }

  function errorText(t, error) {
    switch (error.kind) {
      case "rate": return fmt(t.errRate, { n: error.retryAfter || 5 });
      case "busy": return t.errBusy;
      case "server": return fmt(t.errServer, { status: error.status || "?" });
      case "request": return fmt(t.errRequest, { message: error.message || `HTTP ${error.status}` });
      case "stream": return fmt(t.errStream, { message: error.message });
      case "interrupted": return t.errInterrupted;
      case "timeout": return t.errTimeout;
      default: return t.errNetwork;
    }
  }

  // ---- conversation state, kept per tab across page navigations ----
  function loadState(key) {
    try {
      const saved = JSON.parse(sessionStorage.getItem(key) || "null");
      if (saved && Array.isArray(saved.turns)) return saved;
    } catch (_) { /* storage blocked or corrupt: start fresh */ }
    return { open: false, sources: "both", turns: [], documents: null, conversation: 0 };
  }

  function saveState(key, state) {
    state.turns = state.turns.slice(-MAX_TURNS);
    try { sessionStorage.setItem(key, JSON.stringify(state)); } catch (_) { /* quota or blocked */ }
  }

  // ---- the element ----
  class QaChat extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return; // moved within the page: already built
      const api = this.getAttribute("data-api") || SCRIPT_DATA.api || SCRIPT_URL.origin;
      this.api = api.replace(/\/+$/, "");
      this.key = this.getAttribute("data-key") || SCRIPT_DATA.key || "";
      this.collection = this.getAttribute("data-collection") || SCRIPT_DATA.collection || "";
      this.storeKey = `qa-chat:${this.api}${this.collection ? `:${this.collection}` : ""}`;
      this.state = loadState(this.storeKey);
      this.busy = false;
      this.starterSource = null; // a promise of the raw starter questions, asked for once
      this.attachShadow({ mode: "open" });
      loadCss().then((css) => {
        this.styleNode = adoptCss(this.shadowRoot, css);
        this.build();
      });
      // Pages that switch language in place (lang attribute) get the widget relabelled.
      new MutationObserver(() => this.launcher && this.build()).observe(document.documentElement,
        { attributes: true, attributeFilter: ["lang"] });
    }

    /** "en", "zh" (Simplified) or "zh-Hant" (Traditional): the language of the labels. */
    get uiLang() {
      return uiLanguage(this.getAttribute("data-lang") || SCRIPT_DATA.lang ||
        document.documentElement.lang || navigator.language || "en");
    }

    /** "zh" or "en": the language of content choices (context length, document titles). */
    get lang() { return this.uiLang === "en" ? "en" : "zh"; }

    get t() { return STRINGS[this.uiLang]; }

    save() { saveState(this.storeKey, this.state); }

    /** (Re)build the whole UI from the state; keeps the draft question. */
    build() {
      const t = this.t;
      const draft = this.input ? this.input.value : "";
      const panelId = uid("panel");
      this.launcher = el("button", {
        type: "button", class: "launcher", "data-role": "launcher", "aria-controls": panelId,
        lang: this.uiLang, onclick: () => this.setOpen(!this.state.open, true),
      });
      this.input = el("textarea", {
        "data-role": "input", rows: 1, maxlength: MAX_QUESTION_CHARS, "aria-label": t.inputLabel,
        placeholder: t.placeholder, enterkeyhint: "send",
        onkeydown: (e) => this.onInputKey(e), oninput: () => this.fitInput(),
      });
      this.input.value = draft;
      // Named by its text (visually hidden), so the accessible name is what speech users say.
      this.sendButton = el("button", { type: "submit", class: "send", "data-role": "send",
        title: t.send }, icon("send"), el("span", { class: "sr-only" }, t.send));
      this.log = el("div", { class: "log", role: "log", "aria-live": "polite",
        "aria-label": t.title, tabindex: 0, "data-role": "log" });
      this.subtitle = el("p", { class: "sub" }, this.documentsLine());
      this.panel = el("section", {
        class: "panel", id: panelId, role: "dialog", "aria-label": this.heading(),
        "data-role": "panel", lang: this.uiLang, onkeydown: (e) => this.onPanelKey(e),
      },
      // A <div>, not <header>: inside a shadow root axe (and some readers) would see a second
      // page banner next to the host page's own.
      el("div", { class: "head" },
        el("span", { class: "logo", "aria-hidden": "true" }, icon("book")),
        el("div", { class: "titles" }, el("h2", {}, this.heading()), this.subtitle),
        el("button", { type: "button", class: "icon-btn", "data-role": "clear", "aria-label": t.clear,
          title: t.clear, onclick: () => this.clear() }, icon("trash")),
        el("button", { type: "button", class: "icon-btn", "data-role": "close", "aria-label": t.close,
          title: t.close, onclick: () => this.setOpen(false, true) }, icon("close"))),
      el("div", { class: "toolbar" }, el("span", { id: `${panelId}-src` }, t.showIn),
        this.sourceToggle(`${panelId}-src`)),
      this.log,
      el("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); this.submit(); } },
        this.input, this.sendButton),
      el("p", { class: "foot" }, t.foot),
      this.announcer = el("p", { class: "sr-only", role: "status", "data-role": "announcer" }));
      this.shadowRoot.replaceChildren(...(this.styleNode ? [this.styleNode] : []),
        this.panel, this.launcher);
      this.renderLog();
      this.setOpen(this.state.open, false);
      this.sendButton.disabled = this.busy;
    }

    heading() { return this.getAttribute("data-title") || SCRIPT_DATA.title || this.t.title; }

    documentsLine() {
      const docs = this.state.documents;
      if (!Array.isArray(docs) || docs.length === 0) return this.t.subtitle;
      if (docs.length > 1) return fmt(this.t.documents, { n: docs.length });
      const title = docs[0].title || {};
      return String(title[this.lang] || title.en || title.zh || docs[0].doc_id || this.t.subtitle);
    }

    async loadDocuments() {
      if (this.state.documents) return;
      try {
        // The subtitle names this collection's documents, never the default's.
        const query = this.collection ? `?collection=${encodeURIComponent(this.collection)}` : "";
        const res = await fetch(`${this.api}/v1/documents${query}`,
          { credentials: "omit", headers: apiHeaders(this.key) });
        const docs = res.ok ? await res.json() : null;
        if (!Array.isArray(docs)) return;
        this.state.documents = docs.map((d) => ({ doc_id: d.doc_id, title: d.title }));
        this.save();
        this.subtitle.textContent = this.documentsLine();
      } catch (_) { /* the generic subtitle stays */ }
    }

    /** The site's data-starter-questions, else the collection's (asked for once, when needed). */
    starterQuestions() {
      if (!this.starterSource) {
        const given = this.getAttribute("data-starter-questions") ?? SCRIPT_DATA.starterQuestions;
        this.starterSource = given !== undefined && given !== null
          ? Promise.resolve(parseJson(given))
          : collectionStarters(this.api, this.key, this.collection);
      }
      return this.starterSource;
    }

    /** Starter questions under the welcome text, while the conversation is empty and open. */
    async showStarters() {
      const welcome = this.log.querySelector(".welcome");
      if (!welcome || !this.state.open) return;
      const uiLang = this.uiLang;
      const questions = startersFor(await this.starterQuestions(), uiLang);
      if (!questions.length || !welcome.isConnected || welcome.querySelector(".starters")) return;
      const labelId = uid("starters");
      welcome.append(el("div", { class: "starters", role: "group", "aria-labelledby": labelId },
        el("p", { class: "starters-label", id: labelId }, this.t.starters),
        el("ul", {}, questions.map((question) => el("li", {}, el("button", {
          type: "button", class: "starter", "data-role": "starter",
          onclick: () => this.askStarter(question),
        }, question))))));
    }

    askStarter(question) {
      if (this.busy) return;
      this.input.value = question;
      this.input.focus(); // the starters go away with the welcome: focus stays in the widget
      this.submit();
    }

    sourceToggle(labelId) {
      const group = el("div", { class: "seg", role: "group", "aria-labelledby": labelId,
        "data-role": "source-lang" });
      for (const [value, label] of [["zh", LANG_NAMES.zh], ["en", LANG_NAMES.en], ["both", this.t.both]]) {
        group.append(el("button", { type: "button", "data-value": value,
          "aria-pressed": String(this.state.sources === value),
          onclick: () => this.setSources(value, group) }, label));
      }
      return group;
    }

    setSources(value, group) {
      this.state.sources = value;
      this.save();
      for (const b of group.querySelectorAll("button")) {
        b.setAttribute("aria-pressed", String(b.dataset.value === value));
      }
      this.log.className = `log show-${value}`;
    }

    setOpen(open, byUser) {
      this.state.open = open;
      this.panel.hidden = !open;
      this.launcher.classList.toggle("open", open);
      this.launcher.setAttribute("aria-expanded", String(open));
      this.launcher.setAttribute("aria-label", open ? this.t.close : this.t.open);
      this.launcher.replaceChildren(icon(open ? "close" : "chat"));
      if (open) {
        this.loadDocuments();
        this.showStarters();
      }
      if (!byUser) return;
      this.save();
      if (open) {
        this.input.focus();
        this.scrollToEnd();
      } else {
        this.launcher.focus();
      }
    }

    onPanelKey(e) {
      if (e.key === "Escape" && !e.isComposing) {
        e.stopPropagation();
        this.setOpen(false, true);
      }
    }

    onInputKey(e) {
      // Enter sends, Shift+Enter is a new line; never while an IME is composing (中文 input).
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submit();
      }
    }

    fitInput() {
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(this.input.scrollHeight, 132)}px`;
    }

    /** A new conversation: no turns, nothing sent as history, and a reply still on its way
        to the old one is dropped when it arrives. */
    clear() {
      this.state.turns = [];
      this.state.conversation = (this.state.conversation || 0) + 1;
      this.busy = false;
      this.sendButton.disabled = false;
      this.save();
      this.renderLog();
      this.announcer.textContent = this.t.cleared;
      this.input.focus();
    }

    /** The earlier questions of this conversation, oldest first, for the API's `history`. */
    history() {
      const asked = this.state.turns.filter((turn) => turn.from === "user").map((turn) => turn.text);
      return asked.slice(0, -1).slice(-MAX_HISTORY); // the last one is the question being asked
    }

    // ---- conversation ----
    submit() {
      const question = this.input.value.trim();
      if (!question || this.busy) return;
      this.input.value = "";
      this.fitInput();
      const last = this.state.turns[this.state.turns.length - 1];
      if (last && last.error && last.question === question) return this.retry();
      this.addTurn({ from: "user", text: question });
      this.ask(question);
    }

    retry() {
      const last = this.state.turns[this.state.turns.length - 1];
      if (!last || !last.error || this.busy) return;
      this.state.turns.pop();
      this.log.lastElementChild.remove();
      if (this.input.value.trim() === last.question) this.input.value = "";
      this.ask(last.question);
    }

    async ask(question) {
      this.busy = true;
      this.sendButton.disabled = true;
      const pending = el("div", { class: "msg bot typing", "data-role": "typing" },
        el("div", { class: "avatar", "aria-hidden": "true" }, icon("spark")),
        el("div", { class: "bubble" }, el("div", { class: "dots", role: "status", "aria-label": this.t.thinking },
          el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" }))));
      this.log.append(pending);
      this.scrollToEnd();
      const conversation = this.state.conversation;
      const body = { question };
      const history = this.history();
      if (history.length) body.history = history;
      if (this.collection) body.collection = this.collection;
      const result = await askApi(this.api, this.key, body, (citations) => {
        if (this.state.conversation === conversation && pending.isConnected) {
          this.showEarlySources(pending, citations);
        }
      });
      pending.remove();
      if (this.state.conversation !== conversation) return; // cleared meanwhile: a new conversation
      this.busy = false;
      this.sendButton.disabled = false;
      if (result.error) {
        this.addTurn({ from: "bot", error: result.error, question });
        if (!this.input.value) this.input.value = question; // kept for a retry with Enter
      } else {
        this.addTurn({ from: "bot", data: result.data });
      }
    }

    /** A streamed reply's sources, shown while the answer is still being chosen. Marked busy so
        screen readers wait for the whole reply, which replaces it. */
    showEarlySources(pending, citations) {
      const groups = groupSources(citations.filter(isObject), this.lang);
      if (!groups.length) return;
      const bubble = pending.querySelector(".bubble");
      const early = el("div", { class: "early", "aria-busy": "true" },
        this.sourcesBlock(groups, this.t.sources, { span: null, kind: null, original: false, refresh: [] }));
      bubble.querySelector(".early")?.remove();
      bubble.append(early);
      pending.classList.add("with-sources");
      this.scrollToEnd();
    }

    addTurn(turn) {
      this.state.turns.push(turn);
      this.save();
      const welcome = this.log.querySelector(".welcome");
      if (welcome) welcome.remove();
      const node = this.renderTurn(turn);
      this.log.append(node);
      this.reveal(node);
    }

    renderLog() {
      this.log.className = `log show-${this.state.sources}`;
      const t = this.t;
      const nodes = this.state.turns.map((turn) => this.renderTurn(turn));
      if (!nodes.length) {
        nodes.push(el("div", { class: "welcome" }, el("strong", {}, t.welcomeTitle), t.welcome));
      }
      this.log.replaceChildren(...nodes);
      this.scrollToEnd();
      if (!this.state.turns.length) this.showStarters();
    }

    scrollToEnd() { this.log.scrollTop = this.log.scrollHeight; }

    /** Show a new turn: from the question it answers when it does not fit, else the log's end. */
    reveal(node) {
      if (node.offsetHeight < this.log.clientHeight) return this.scrollToEnd();
      const before = node.previousElementSibling;
      const anchor = before && before.dataset.from === "user" ? before : node;
      this.log.scrollTop = anchor.offsetTop - 8;
    }

    renderTurn(turn) {
      const t = this.t;
      if (turn.from === "user") {
        return el("div", { class: "msg user", "data-role": "message", "data-from": "user" },
          el("div", { class: "bubble" }, el("span", { class: "sr-only" }, `${t.you}: `), turn.text));
      }
      const bubble = turn.error ? this.errorBubble(turn) : this.replyBubble(turn);
      return el("div", { class: "msg bot", "data-role": "message", "data-from": "bot" },
        el("div", { class: "avatar", "aria-hidden": "true" }, icon("spark")), bubble);
    }

    errorBubble(turn) {
      return el("div", { class: "bubble error", "data-role": "error", role: "alert" },
        el("p", {}, errorText(this.t, turn.error)),
        el("button", { type: "button", class: "retry", "data-role": "retry",
          onclick: () => this.retry() }, icon("retry"), this.t.retry));
    }

    /** One reply: what the documents state (a highlighted quote), only touch (the closest
        quote, set apart and introduced as not an answer), or do not cover; then its sources. */
    replyBubble(turn) {
      const t = this.t;
      const data = turn.data;
      const citations = data.citations.filter(isObject);
      const support = supportOf(data);
      const span = support === "stated" ? data.answer : support === "related" ? data.closest : null;
      // What every part of this reply shares: the quoted span, and original vs converted text.
      const view = { span, kind: support === "stated" ? "answer" : "closest", original: false,
        refresh: [], script: ["zh-Hant", "zh-Hans"].includes(data.question_script) ? data.question_script : "zh" };
      const message = typeof data.message === "string" && data.message ? data.message : null;
      const messageLang = message ? data.question_lang : null;
      const bubble = el("div", { class: `bubble support-${support}`, "data-support": support },
        el("span", { class: "sr-only" }, `${t.bot}: `));
      const passage = span ? findPassage(citations, span.passage_id) : null;
      if (support === "stated") {
        bubble.append(...this.quoteBlock(view, passage, data.answer_lang));
      } else if (support === "related") {
        bubble.append(el("p", { class: "support-note", "data-role": "support", lang: messageLang },
          icon("info"), el("span", {}, message || t.relatedLead)));
        if (message) bubble.append(el("p", { class: "closest-label" }, t.closestLabel));
        bubble.append(...this.quoteBlock(view, passage, data.answer_lang));
      } else {
        bubble.append(el("p", { class: "notice", "data-role": "no-answer", lang: messageLang },
          message || t.notCovered));
      }
      if (hasConversion(span, citations)) bubble.append(this.originalToggle(view));
      const groups = groupSources(citations, data.answer_lang || data.question_lang);
      if (groups.length) {
        bubble.append(this.sourcesBlock(groups, support === "stated" ? t.sources : t.related, view));
      }
      if (typeof data.answer_id === "string" && data.answer_id) bubble.append(this.feedbackBlock(turn));
      return bubble;
    }

    /** The answer (a <mark> in its paragraph) or the closest sentence (set apart, not marked as
        an answer), in the asker's script when converted; "show the whole paragraph" if clipped. */
    quoteBlock(view, passage, fallbackLang) {
      const t = this.t;
      const span = view.span;
      const stated = view.kind === "answer";
      const lang = (passage && passage.lang) || fallbackLang;
      const node = stated ? el("p", { class: "answer", "data-role": "answer" })
        : el("blockquote", { class: "closest", "data-role": "closest" });
      const more = el("button", { type: "button", class: "link-btn", "aria-expanded": "false", hidden: true },
        t.showMore);
      let whole = false;
      const quote = (text) => (stated ? el("mark", {}, text) : el("span", { class: "near" }, text));
      const render = () => {
        const converted = view.original ? null : convertedText(span);
        const text = passage ? (converted ? passage.converted : passage.text) : null;
        const parts = text ? locateAnswer(text, converted ? { text: converted } : span) : null;
        const shownLang = converted ? view.script : lang;
        if (shownLang) node.setAttribute("lang", shownLang);
        else node.removeAttribute("lang");
        if (!parts) {
          more.hidden = true;
          node.replaceChildren(quote(converted || span.text));
          return;
        }
        const clipped = clipContext(parts.before, parts.after, lang === "zh" ? "zh" : "en");
        more.hidden = !clipped.clipped;
        const full = whole || !clipped.clipped;
        node.replaceChildren(el("span", { class: "context" }, full ? parts.before : clipped.before),
          quote(parts.hit), el("span", { class: "context" }, full ? parts.after : clipped.after));
      };
      more.addEventListener("click", () => {
        whole = !whole;
        more.setAttribute("aria-expanded", String(whole));
        more.textContent = whole ? t.showLess : t.showMore;
        render();
      });
      view.refresh.push(render);
      render();
      return [node, more];
    }

    /** "Shown in Traditional characters · [Show the original text]": one switch per reply, for
        the quote and the sources alike. */
    originalToggle(view) {
      const t = this.t;
      const note = el("span", { class: "converted-note" }, view.script in t.scripts
        ? fmt(t.converted, { script: t.scripts[view.script] }) : t.convertedAny);
      const button = el("button", { type: "button", class: "link-btn", "data-role": "show-original",
        "aria-pressed": "false" }, t.showOriginal);
      button.addEventListener("click", () => {
        view.original = !view.original;
        button.setAttribute("aria-pressed", String(view.original));
        note.hidden = view.original;
        for (const render of view.refresh) render();
      });
      return el("p", { class: "converted" }, note, " ", button);
    }

    sourcesBlock(groups, label, view) {
      const box = el("div", { class: "source-view", id: uid("source"), hidden: true,
        "data-role": "source" });
      let shown = null;
      view.refresh.push(() => shown && this.renderSource(box, shown, view));
      const chips = groups.map((group) => {
        const lead = group.lead;
        const quoted = view.span && group.ids.has(view.span.passage_id);
        const kind = quoted ? (view.kind === "answer" ? " primary" : " closest-source") : "";
        const chip = el("button", {
          type: "button", class: `chip${kind}`, "data-role": "citation",
          "data-passage-id": lead.passage_id, "aria-expanded": "false", "aria-controls": box.id,
          title: lead.citation.label, lang: lead.lang,
        }, chipLabel(lead.citation, lead.lang),
        el("span", { class: "sr-only" }, ` — ${lead.citation.label} — ${this.t.sourceAction}`));
        chip.addEventListener("click", () => {
          const opening = chip.getAttribute("aria-expanded") !== "true";
          for (const c of chips) c.setAttribute("aria-expanded", "false");
          box.hidden = !opening;
          shown = opening ? group : null;
          if (!opening) return;
          chip.setAttribute("aria-expanded", "true");
          this.renderSource(box, group, view);
          box.scrollIntoView({ block: "nearest", behavior: "smooth" });
        });
        return chip;
      });
      return el("div", { class: "sources" },
        el("div", { class: "sources-label" }, label), el("div", { class: "chips" }, chips), box);
    }

    renderSource(box, group, view) {
      const columns = Object.keys(group.texts).sort((a, b) => (a === "zh" ? -1 : b === "zh" ? 1 : 0))
        .map((lang) => el("div", {
          class: "col", lang, "data-role": lang === group.lead.lang ? "passage" : "translation",
        }, el("h3", {}, LANG_NAMES[lang] || lang),
        [...group.texts[lang]].map(([id, passage]) => this.paragraph(id, passage, view))));
      const cite = group.lead.citation;
      const where = [...(cite.section || []), `¶${cite.paragraph}`].join(" › ");
      box.replaceChildren(el("p", { class: "source-title", lang: group.lead.lang },
        el("span", { class: "doc" }, cite.doc_title), where), el("div", { class: "cols" }, columns));
    }

    paragraph(passageId, passage, view) {
      const converted = view.original ? null : passage.converted;
      const text = converted || passage.text;
      const span = view.span;
      const attrs = converted ? { lang: view.script } : {};
      const target = span && span.passage_id === passageId
        ? (converted ? { text: convertedText(span) || span.text } : span) : null;
      const parts = target ? locateAnswer(text, target) : null;
      if (!parts) return el("p", attrs, text);
      const hit = view.kind === "answer" ? el("mark", {}, parts.hit) : el("span", { class: "near" }, parts.hit);
      return el("p", attrs, parts.before, hit, parts.after);
    }

    /** 👍 / 👎 for a reply with an `answer_id`; 👎 opens the reasons and a comment. The rating is
        sent at once (a later one replaces it); a failure is said politely and changes nothing else. */
    feedbackBlock(turn) {
      const t = this.t;
      const answerId = turn.data.answer_id;
      const rated = () => (isObject(turn.feedback) ? turn.feedback.rating : null);
      const promptId = uid("feedback");
      const status = el("p", { class: "fb-status", role: "status" });
      const button = (rating, label) => el("button", {
        type: "button", class: "fb-btn", "data-role": `feedback-${rating}`, title: label,
        "aria-pressed": String(rated() === rating),
      }, icon(rating), el("span", { class: "sr-only" }, label));
      const up = button("up", t.feedbackUp);
      const down = button("down", t.feedbackDown);
      const press = (rating) => {
        up.setAttribute("aria-pressed", String(rating === "up"));
        down.setAttribute("aria-pressed", String(rating === "down"));
      };
      const send = async (body, thank) => {
        status.textContent = "";
        status.classList.remove("failed");
        const outcome = await sendFeedback(this.api, this.key, { answer_id: answerId, ...body });
        if (outcome === "sent") {
          turn.feedback = body;
          this.save();
          if (thank) status.textContent = t.feedbackThanks;
          return true;
        }
        status.classList.add("failed");
        status.textContent = outcome === "gone" ? t.feedbackGone : t.feedbackFailed;
        return false;
      };

      const reasonName = uid("reason");
      const commentId = uid("comment");
      const comment = el("textarea", { id: commentId, rows: 2, maxlength: MAX_COMMENT_CHARS,
        "data-role": "feedback-comment" });
      const sendButton = el("button", { type: "submit", class: "fb-send", "data-role": "feedback-send" },
        t.feedbackSend);
      const form = el("form", { class: "fb-form", hidden: true, "data-role": "feedback-form" },
        el("fieldset", {}, el("legend", {}, t.reasonsLegend),
          FEEDBACK_REASONS.map((reason) => el("label", { class: "fb-reason" },
            el("input", { type: "radio", name: reasonName, value: reason, "data-role": "feedback-reason" }),
            t.reasons[reason]))),
        el("label", { for: commentId, class: "fb-comment-label" }, t.commentLabel), comment, sendButton);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const checked = form.querySelector("input:checked");
        const body = { rating: "down" };
        if (checked) body.reason = checked.value;
        const text = comment.value.trim().slice(0, MAX_COMMENT_CHARS);
        if (text) body.comment = text;
        sendButton.disabled = true;
        const sent = await send(body, true);
        sendButton.disabled = false;
        if (sent) {
          form.hidden = true;
          down.focus();
        }
      });

      up.addEventListener("click", async () => {
        if (rated() === "up") return;
        form.hidden = true;
        press("up");
        if (!(await send({ rating: "up" }, true))) press(rated());
      });
      down.addEventListener("click", async () => {
        press("down");
        form.hidden = false;
        form.querySelector("input").focus();
        if (rated() === "down") return; // already recorded: the reasons refine it
        if (!(await send({ rating: "down" }, false))) {
          press(rated());
          form.hidden = true;
          down.focus();
        }
      });
      return el("div", { class: "feedback" },
        el("div", { class: "fb-row", role: "group", "aria-labelledby": promptId },
          el("span", { class: "fb-prompt", id: promptId }, t.feedbackPrompt), up, down),
        form, status);
    }
  }

  customElements.define("qa-chat", QaChat);
  const mount = () => {
    if (!document.querySelector("qa-chat")) document.body.append(document.createElement("qa-chat"));
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
