/* qa chat widget: bilingual (中文 / English) answers with citations, embedded by one tag:
     <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
   Optional: data-lang="zh|en" (default: the page's lang), data-title="…" (panel heading),
   data-key="…" (a public widget key, QA_WIDGET_KEYS, when the API requires keys).
   No framework, no build step. Everything that comes from the server or the user is inserted
   as text (createTextNode / textContent), never parsed as HTML. */
(function () {
  "use strict";
  if (!window.customElements || customElements.get("qa-chat")) return;

  const SCRIPT = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const SCRIPT_URL = new URL((SCRIPT && SCRIPT.src) || "/widget.js", location.href);
  const SCRIPT_DATA = (SCRIPT && SCRIPT.dataset) || {};
  const REQUEST_TIMEOUT_MS = 30000;
  const MAX_TURNS = 40; // kept in sessionStorage; older turns drop off
  const MAX_HISTORY = 5; // earlier questions sent with each one, so follow-ups can lean on them
  const MAX_QUESTION_CHARS = 1000;
  const CONTEXT_CHARS = { zh: 60, en: 170 }; // text shown around the answer sentence
  const LANG_NAMES = { zh: "中文", en: "English" };

  const STRINGS = {
    en: {
      title: "Ask the documents", subtitle: "Answers quoted from the source · 中文 / English",
      open: "Open the question assistant", close: "Close the question assistant",
      clear: "Clear the conversation", showIn: "Show sources in", both: "Both",
      welcomeTitle: "Ask a question in 中文 or English",
      welcome: "Answers are quoted from the documents with the paragraphs they come from. " +
        "Open a source to read it in both languages.",
      inputLabel: "Your question", placeholder: "Ask a question…", send: "Send",
      thinking: "Looking for the answer…", you: "You", bot: "Assistant",
      sources: "Sources", related: "Related passages",
      notCovered: "The documents don't seem to cover this question. These passages come closest:",
      showMore: "Show the whole paragraph", showLess: "Show less",
      sourceAction: "show the passage and its translation", retry: "Try again",
      cleared: "Conversation cleared. A new one has started.",
      errNetwork: "Can't reach the answer service right now. Check your connection and try again.",
      errTimeout: "The answer took too long to arrive. Please try again.",
      errRate: "You're asking a little fast. Please wait {n} seconds, then try again.",
      errBusy: "The answer service is starting up. Please try again in a few seconds.",
      errServer: "The answer service ran into a problem (error {status}). Please try again shortly.",
      errRequest: "This question couldn't be sent: {message}",
      foot: "Answers are extracted from the documents. Check the cited sources.",
      documents: "{n} documents",
    },
    zh: {
      title: "文档问答", subtitle: "答案引自原文 · 中文 / English",
      open: "打开问答助手", close: "关闭问答助手", clear: "清空对话",
      showIn: "来源显示", both: "双语",
      welcomeTitle: "用中文或英文提问",
      welcome: "答案摘自文档原文，并注明出处段落。点开来源，可对照阅读中英文原文。",
      inputLabel: "你的问题", placeholder: "输入问题…", send: "发送",
      thinking: "正在查找答案…", you: "你", bot: "助手",
      sources: "来源", related: "相关段落",
      notCovered: "文档中似乎没有涉及这个问题。以下是最相关的段落：",
      showMore: "显示整段", showLess: "收起", sourceAction: "查看原文及译文", retry: "重试",
      cleared: "对话已清空，新的对话已开始。",
      errNetwork: "暂时无法连接问答服务，请检查网络后重试。",
      errTimeout: "回答超时了，请重试。",
      errRate: "提问太频繁了，请等待 {n} 秒后重试。",
      errBusy: "问答服务正在启动，请几秒后重试。",
      errServer: "问答服务出现问题（错误 {status}），请稍后重试。",
      errRequest: "问题无法提交：{message}",
      foot: "答案摘自文档原文，请以引用来源为准。",
      documents: "{n} 份文档",
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
  /** Split `text` around the answer: offsets are code points (as in Python); else find the text. */
  function locateAnswer(text, answer) {
    const chars = Array.from(text);
    const { start, end } = answer;
    if (Number.isInteger(start) && Number.isInteger(end) &&
        chars.slice(start, end).join("") === answer.text) {
      return { before: chars.slice(0, start).join(""), hit: answer.text,
        after: chars.slice(end).join("") };
    }
    const at = answer.text ? text.indexOf(answer.text) : -1;
    if (at < 0) return null;
    return { before: text.slice(0, at), hit: answer.text, after: text.slice(at + answer.text.length) };
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

  /** One group per aligned unit: a Chinese passage and its English translation cite once. */
  function groupSources(citations, preferLang) {
    const groups = [];
    const byId = new Map();
    for (const c of citations) {
      if (!c || typeof c.passage_id !== "string" || !c.citation) continue;
      const translations = Array.isArray(c.translations) ? c.translations : [];
      const ids = [c.passage_id, ...translations.map((t) => t.passage_id)];
      let group = ids.map((id) => byId.get(id)).find(Boolean);
      if (!group) {
        group = { members: [], texts: {}, ids: new Set() };
        groups.push(group);
      }
      group.members.push(c);
      for (const p of [c, ...translations]) {
        const texts = (group.texts[p.lang] = group.texts[p.lang] || new Map());
        if (!texts.has(p.passage_id)) texts.set(p.passage_id, String(p.text ?? ""));
      }
      for (const id of ids) { byId.set(id, group); group.ids.add(id); }
    }
    for (const g of groups) g.lead = g.members.find((m) => m.lang === preferLang) || g.members[0];
    return groups;
  }

  function passageText(citations, passageId) {
    for (const c of citations) {
      if (c && c.passage_id === passageId) return String(c.text ?? "");
      for (const t of (c && c.translations) || []) {
        if (t.passage_id === passageId) return String(t.text ?? "");
      }
    }
    return null;
  }

  // ---- the API ----
  function apiHeaders(key, extra) {
    return Object.assign(key ? { "X-API-Key": key } : {}, extra || {});
  }

  /** `history`: the conversation's earlier questions, oldest first (the API takes at most 5). */
  async function askApi(api, key, question, history) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      let res;
      try {
        res = await fetch(`${api}/v1/ask`, {
          method: "POST", mode: "cors", credentials: "omit", signal: controller.signal,
          headers: apiHeaders(key, { "Content-Type": "application/json" }),
          body: JSON.stringify(history.length ? { question, history } : { question }),
        });
      } catch (_) {
        return { error: { kind: controller.signal.aborted ? "timeout" : "network" } };
      }
      if (!res.ok) {
        let message = "";
        try {
          const body = await res.json();
          if (body && body.error && typeof body.error.message === "string") message = body.error.message;
        } catch (_) { /* not our error body: the status says enough */ }
        const wait = parseInt(res.headers.get("Retry-After") || "", 10);
        const kind = res.status === 429 ? "rate" : res.status === 503 ? "busy"
          : res.status >= 500 ? "server" : "request";
        return { error: { kind, status: res.status, message, retryAfter: wait > 0 ? wait : null } };
      }
      const data = await res.json();
      if (!data || !Array.isArray(data.citations)) return { error: { kind: "server", status: res.status } };
      return { data };
    } catch (_) {
      return { error: { kind: controller.signal.aborted ? "timeout" : "network" } };
    } finally {
      clearTimeout(timer);
    }
  }

  function errorText(t, error) {
    switch (error.kind) {
      case "rate": return fmt(t.errRate, { n: error.retryAfter || 5 });
      case "busy": return t.errBusy;
      case "server": return fmt(t.errServer, { status: error.status || "?" });
      case "request": return fmt(t.errRequest, { message: error.message || `HTTP ${error.status}` });
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
      this.storeKey = `qa-chat:${this.api}`;
      this.state = loadState(this.storeKey);
      this.busy = false;
      this.attachShadow({ mode: "open" });
      loadCss().then((css) => {
        this.styleNode = adoptCss(this.shadowRoot, css);
        this.build();
      });
      // Pages that switch language in place (lang attribute) get the widget relabelled.
      new MutationObserver(() => this.launcher && this.build()).observe(document.documentElement,
        { attributes: true, attributeFilter: ["lang"] });
    }

    get lang() {
      const chosen = this.getAttribute("data-lang") || SCRIPT_DATA.lang ||
        document.documentElement.lang || navigator.language || "en";
      return chosen.toLowerCase().startsWith("zh") ? "zh" : "en";
    }

    get t() { return STRINGS[this.lang]; }

    save() { saveState(this.storeKey, this.state); }

    /** (Re)build the whole UI from the state; keeps the draft question. */
    build() {
      const t = this.t;
      const draft = this.input ? this.input.value : "";
      const panelId = uid("panel");
      this.launcher = el("button", {
        type: "button", class: "launcher", "data-role": "launcher", "aria-controls": panelId,
        onclick: () => this.setOpen(!this.state.open, true),
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
        "data-role": "panel", onkeydown: (e) => this.onPanelKey(e),
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
        const res = await fetch(`${this.api}/v1/documents`,
          { credentials: "omit", headers: apiHeaders(this.key) });
        const docs = res.ok ? await res.json() : null;
        if (!Array.isArray(docs)) return;
        this.state.documents = docs.map((d) => ({ doc_id: d.doc_id, title: d.title }));
        this.save();
        this.subtitle.textContent = this.documentsLine();
      } catch (_) { /* the generic subtitle stays */ }
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
      if (open) this.loadDocuments();
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
      const typing = el("div", { class: "msg bot typing", "data-role": "typing" },
        el("div", { class: "avatar", "aria-hidden": "true" }, icon("spark")),
        el("div", { class: "bubble", role: "status", "aria-label": this.t.thinking },
          el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" })));
      this.log.append(typing);
      this.scrollToEnd();
      const conversation = this.state.conversation;
      const result = await askApi(this.api, this.key, question, this.history());
      typing.remove();
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
      const bubble = turn.error ? this.errorBubble(turn) : this.replyBubble(turn.data);
      return el("div", { class: "msg bot", "data-role": "message", "data-from": "bot" },
        el("div", { class: "avatar", "aria-hidden": "true" }, icon("spark")), bubble);
    }

    errorBubble(turn) {
      return el("div", { class: "bubble error", "data-role": "error", role: "alert" },
        el("p", {}, errorText(this.t, turn.error)),
        el("button", { type: "button", class: "retry", "data-role": "retry",
          onclick: () => this.retry() }, icon("retry"), this.t.retry));
    }

    replyBubble(data) {
      const t = this.t;
      const citations = data.citations.filter((c) => c && typeof c === "object");
      const answer = data.answerable && data.answer && typeof data.answer.text === "string"
        ? data.answer : null;
      const groups = groupSources(citations, data.answer_lang || data.question_lang);
      const bubble = el("div", { class: "bubble" }, el("span", { class: "sr-only" }, `${t.bot}: `));
      if (answer) {
        bubble.append(...this.answerBlock(answer, passageText(citations, answer.passage_id),
          data.answer_lang));
      } else {
        const message = typeof data.message === "string" && data.message ? data.message : null;
        bubble.append(el("p", { class: "notice", "data-role": "no-answer",
          lang: message ? data.question_lang : null }, message || t.notCovered));
      }
      if (groups.length) {
        bubble.append(this.sourcesBlock(groups, answer ? t.sources : t.related, answer));
      }
      return bubble;
    }

    answerBlock(answer, text, lang) {
      const p = el("p", { class: "answer", "data-role": "answer", lang });
      const parts = text === null ? null : locateAnswer(text, answer);
      if (!parts) {
        p.append(el("mark", {}, answer.text));
        return [p];
      }
      const clipped = clipContext(parts.before, parts.after, lang);
      const show = (whole) => p.replaceChildren(
        el("span", { class: "context" }, whole ? parts.before : clipped.before),
        el("mark", {}, parts.hit),
        el("span", { class: "context" }, whole ? parts.after : clipped.after));
      show(false);
      if (!clipped.clipped) return [p];
      const more = el("button", { type: "button", class: "link-btn", "aria-expanded": "false" },
        this.t.showMore);
      more.addEventListener("click", () => {
        const whole = more.getAttribute("aria-expanded") !== "true";
        show(whole);
        more.setAttribute("aria-expanded", String(whole));
        more.textContent = whole ? this.t.showLess : this.t.showMore;
      });
      return [p, more];
    }

    sourcesBlock(groups, label, answer) {
      const view = el("div", { class: "source-view", id: uid("source"), hidden: true,
        "data-role": "source" });
      const chips = groups.map((group) => {
        const lead = group.lead;
        const text = chipLabel(lead.citation, lead.lang);
        const primary = answer && group.ids.has(answer.passage_id);
        const chip = el("button", {
          type: "button", class: primary ? "chip primary" : "chip", "data-role": "citation",
          "data-passage-id": lead.passage_id, "aria-expanded": "false", "aria-controls": view.id,
          title: lead.citation.label, lang: lead.lang,
        }, text, el("span", { class: "sr-only" }, ` — ${lead.citation.label} — ${this.t.sourceAction}`));
        chip.addEventListener("click", () => this.toggleSource(chip, chips, group, view, answer));
        return chip;
      });
      return el("div", { class: "sources" },
        el("div", { class: "sources-label" }, label), el("div", { class: "chips" }, chips), view);
    }

    toggleSource(chip, chips, group, view, answer) {
      const opening = chip.getAttribute("aria-expanded") !== "true";
      for (const c of chips) c.setAttribute("aria-expanded", "false");
      view.hidden = !opening;
      if (!opening) return;
      chip.setAttribute("aria-expanded", "true");
      const columns = Object.keys(group.texts).sort((a, b) => (a === "zh" ? -1 : b === "zh" ? 1 : 0))
        .map((lang) => el("div", {
          class: "col", lang, "data-role": lang === group.lead.lang ? "passage" : "translation",
        }, el("h3", {}, LANG_NAMES[lang] || lang),
        [...group.texts[lang]].map(([id, text]) => this.paragraph(id, text, answer))));
      const cite = group.lead.citation;
      const where = [...(cite.section || []), `¶${cite.paragraph}`].join(" › ");
      view.replaceChildren(el("p", { class: "source-title", lang: group.lead.lang },
        el("span", { class: "doc" }, cite.doc_title), where), el("div", { class: "cols" }, columns));
      view.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }

    paragraph(passageId, text, answer) {
      const parts = answer && answer.passage_id === passageId ? locateAnswer(text, answer) : null;
      if (!parts) return el("p", {}, text);
      return el("p", {}, parts.before, el("mark", {}, parts.hit), parts.after);
    }
  }

  customElements.define("qa-chat", QaChat);
  const mount = () => {
    if (!document.querySelector("qa-chat")) document.body.append(document.createElement("qa-chat"));
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
