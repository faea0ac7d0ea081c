/*
 * Trợ lý số xã — web chat widget (plain ES2017, no dependencies, no build step).
 *
 * Two ways to use it:
 *  1. Full page: the gateway's /chat page has <div id="troly-chat"></div>; the chat renders into it.
 *  2. Embedded on a commune portal with one tag:
 *       <script src="https://GATEWAY/static/widget.js" data-gateway="https://GATEWAY" defer></script>
 *     A floating "Hỏi Trợ lý số" button opens the same chat in a panel; widget.css is injected here.
 *
 * Safety: message text is only ever written with textContent / text nodes, never innerHTML.
 * Privacy (shared PCs at the commune): nothing the resident or the team wrote is stored in the browser; the
 * conversation is the server's. The /chat page holds its token in an HttpOnly cookie; the widget embedded on the
 * portal (another origin) keeps it in sessionStorage and sends it as X-Chat-Token, never in a URL. "Kết thúc"
 * ends the conversation on the server and clears the screen.
 * A small API is exposed as window.TrolyWidget = { open(), close() } for portals with their own buttons.
 */
(function () {
  'use strict';
  if (window.TrolyWidget) return; // the tag was included twice: keep the first copy

  const MAX_LEN = 1000, COUNTER_FROM = 800; // longest question; show the "n/1000" counter from 800
  const HISTORY_MAX = 50;        // messages kept in memory (never in localStorage)
  const POLL_OPEN = 5000, POLL_CLOSED = 30000; // poll interval while visible / while closed or tab hidden
  const IDLE_STOP = 30 * 60 * 1000; // stop polling after 30 min without activity
  const QUEUED_WAIT = 3 * 60 * 1000; // show the typing indicator this long after a 202
  const K_TOKEN = 'troly_chat_token';  // sessionStorage, widget mode only
  const OLD_KEYS = ['troly_user_id', 'troly_history', 'troly_last_id']; // what older versions left in localStorage

  const T = {
    title: 'Trợ lý số xã', launcher: 'Hỏi Trợ lý số', close: 'Đóng', closeLabel: 'Đóng khung trò chuyện',
    send: 'Gửi', inputLabel: 'Câu hỏi của anh/chị', log: 'Nội dung trò chuyện',
    placeholder: 'Nhập câu hỏi, có dấu hoặc không dấu…', typing: 'Trợ lý đang trả lời…',
    netErr: 'Chưa gửi được, anh/chị thử lại sau ít phút.',
    tooFast: 'Anh/chị gửi nhanh quá, vui lòng đợi một chút.',
    tooLong: 'Câu hỏi dài quá 1000 ký tự, anh/chị vui lòng rút gọn.',
    footer: 'Trợ lý số của UBND xã · Thông tin mang tính hướng dẫn; việc cụ thể xin liên hệ bộ phận một cửa.',
    handoff: 'Gặp cán bộ', bot: 'Trợ lý: ', you: 'Anh/chị: ', unread: ' (có tin nhắn mới)',
    end: 'Kết thúc', endLabel: 'Kết thúc cuộc trò chuyện và xoá nội dung trên máy này',
    privacy: 'Quyền riêng tư', privacyLabel: 'Quyền riêng tư: dữ liệu nào được lưu, trong bao lâu (mở trang mới)',
    ended: 'Đã kết thúc cuộc trò chuyện. Nội dung đã được xoá khỏi máy này.'
  };

  // ---- Gateway base URL: data-gateway, else the origin this script was loaded from ----
  const script = document.currentScript || (function () {
    const all = document.getElementsByTagName('script');
    for (let i = all.length - 1; i >= 0; i--) if (/widget\.js([?#]|$)/.test(all[i].src)) return all[i];
    return null;
  })();
  let gateway = script && script.getAttribute('data-gateway');
  if (!gateway) try { gateway = new URL(script.src, location.href).origin; } catch (e) { gateway = location.origin; }
  gateway = String(gateway).replace(/\/+$/, '');

  // ---- Storage: sessionStorage for the widget's token only (may be unavailable: private mode) ----
  const session = {
    get(k) { try { return window.sessionStorage.getItem(k); } catch (e) { return null; } },
    set(k, v) { try { window.sessionStorage.setItem(k, v); } catch (e) { /* blocked: keep it in memory */ } },
    del(k) { try { window.sessionStorage.removeItem(k); } catch (e) { /* blocked */ } }
  };
  OLD_KEYS.forEach((k) => { try { window.localStorage.removeItem(k); } catch (e) { /* blocked */ } });
  let token = null;          // widget mode: the conversation's token (the page uses its HttpOnly cookie)
  let history = [];          // this page's messages, in memory only
  let lastId = 0;

  // ---- State ----
  let ui = null, embed = false; // DOM references (see buildUI); embed = floating button + panel on a portal
  let isOpen = false, busy = false; // chat on screen (always on chat.html); a POST is in flight
  let polling = null, pollTimer = 0; // promise of the GET in flight (never rejects); next poll timer
  let awaitingSince = 0;     // time of a 202 whose reply has not arrived yet
  let lastActivity = history.length ? (history[history.length - 1].t || 0) : 0;

  // ---- HTTP: small XMLHttpRequest wrapper (works on older browsers, has a timeout) ----
  // Resolves {status, data}; rejects only on network failure / timeout.
  function request(method, url, body, timeout) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open(method, url, true);
      x.timeout = timeout;
      x.setRequestHeader('Accept', 'application/json');
      if (embed) x.setRequestHeader('X-Chat-Token', token || 'new'); // the page sends its cookie instead
      if (body) x.setRequestHeader('Content-Type', 'application/json');
      x.onload = () => {
        let data = null;
        try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
        resolve({ status: x.status, data: data && typeof data === 'object' ? data : {} });
      };
      x.onerror = x.ontimeout = x.onabort = () => reject(new Error('network'));
      x.send(body ? JSON.stringify(body) : null);
    });
  }

  // ---- DOM helpers ----
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;              // text only, never HTML
    return e;
  }
  function nfc(s) { s = String(s == null ? '' : s); return s.normalize ? s.normalize('NFC') : s; }

  // Append text to `parent`, turning http(s) URLs into links (built with createElement, never HTML).
  function linkify(parent, s) {
    const re = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]}'"]/g;
    let i = 0, m;
    while ((m = re.exec(s))) {
      parent.appendChild(document.createTextNode(s.slice(i, m.index)));
      const a = el('a', 'troly-link', m[0]);
      a.href = m[0]; a.target = '_blank'; a.rel = 'noopener noreferrer';
      parent.appendChild(a);
      i = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(s.slice(i)));
  }

  // Bot text: one block per line (line breaks kept); "- x" / "• x" lines become a bulleted list.
  function renderText(box, text) {
    let list = null;
    nfc(text).split(/\r?\n/).forEach((line) => {
      const m = /^\s*[-•]\s+(.*)$/.exec(line);
      if (m) {
        if (!list) list = box.appendChild(el('ul', 'troly-list'));
        linkify(list.appendChild(el('li', 'troly-li')), m[1]);
      } else {
        list = null;
        linkify(box.appendChild(el('p', 'troly-line')), line);
      }
    });
  }

  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  // One message row. msg = {who: 'bot'|'user'|'system', text, buttons?}. Returns the row element.
  function addBubble(msg) {
    const row = el('div', 'troly-msg troly-msg-' + msg.who);
    const bubble = row.appendChild(el('div', 'troly-bubble'));
    if (msg.who !== 'system') bubble.appendChild(el('span', 'troly-sr', msg.who === 'bot' ? T.bot : T.you));
    if (msg.who === 'bot') renderText(bubble, msg.text);
    else bubble.appendChild(document.createTextNode(nfc(msg.text)));
    if (msg.buttons && msg.buttons.length) {
      const bar = row.appendChild(el('div', 'troly-choices'));
      msg.buttons.forEach((b) => {
        const btn = bar.appendChild(el('button', 'troly-choice', b.title));
        btn.type = 'button';
        // Old buttons stay clickable: send the payload, show the title as the resident's bubble.
        btn.addEventListener('click', () => send(b.payload, b.title, false));
      });
    }
    ui.log.appendChild(row);
    scrollDown();
    return row;
  }
  function system(text) { addBubble({ who: 'system', text: text }); }

  // Keep user/bot messages (not system lines) so a reload shows the conversation.
  function remember(msg) {
    msg.t = Date.now();
    history.push(msg);
    if (history.length > HISTORY_MAX) history = history.slice(-HISTORY_MAX);
  }
  function setLastId(n) {
    if (typeof n === 'number' && n > lastId) lastId = n;
  }
  function setToken(t) {
    if (!embed || typeof t !== 'string' || !t) return;
    token = t; session.set(K_TOKEN, t);
  }

  // Show and store the bot messages of an API response.
  function showBot(messages) {
    (Array.isArray(messages) ? messages : []).forEach((m) => {
      if (!m) return;
      const buttons = (Array.isArray(m.buttons) ? m.buttons : [])
        .filter((b) => b && (b.title || b.payload))
        .map((b) => ({ title: nfc(b.title || b.payload), payload: String(b.payload || b.title) }));
      const msg = { who: 'bot', text: nfc(m.text), buttons: buttons };
      if (!msg.text && !buttons.length) return;
      addBubble(msg);
      remember(msg);
    });
  }

  function showTyping() {
    const waiting = awaitingSince && Date.now() - awaitingSince < QUEUED_WAIT;
    ui.typing.hidden = !(busy || waiting);
    if (!ui.typing.hidden) scrollDown();
  }
  function setBusy(b) {
    busy = b;
    ui.input.readOnly = b;             // readOnly (not disabled) keeps keyboard focus in the box
    ui.input.setAttribute('aria-disabled', b ? 'true' : 'false');
    ui.sendBtn.disabled = b;
    ui.root.classList.toggle('troly-busy', b);
    showTyping();
  }

  // ---- Sending ----
  // payload: text for the API; shown: the resident's bubble (null = none, e.g. "/greet");
  // fromInput: typed in the box (cleared now, restored on failure so it can be resent).
  async function send(payload, shown, fromInput) {
    if (busy || !payload) return;
    touch();
    setBusy(true);
    if (polling) await polling;        // never overlap a poll: avoids duplicated replies
    const bubble = shown ? addBubble({ who: 'user', text: shown }) : null;
    if (fromInput) { ui.input.value = ''; updateCounter(); }
    let res = null;
    try {
      res = await request('POST', gateway + '/api/chat', { text: payload, after: lastId }, 60000);
    } catch (e) { res = null; }
    if (res && res.status >= 200 && res.status < 300) {
      setToken(res.data.token);
      if (shown) remember({ who: 'user', text: shown });
      setLastId(res.data.last_id);
      showBot(res.data.messages);
      awaitingSince = (res.status === 202 || res.data.queued) ? Date.now() : 0;
    } else {
      if (bubble && bubble.parentNode) bubble.parentNode.removeChild(bubble);
      if (fromInput && !ui.input.value) { ui.input.value = payload; updateCounter(); }
      const st = res ? res.status : 0;
      if (st === 429) system(T.tooFast);
      else if (st >= 400 && st < 500 && typeof res.data.error === 'string') system(nfc(res.data.error));
      else system(T.netErr);         // network failure, timeout, 5xx
    }
    setBusy(false);
    if (fromInput) ui.input.focus();
    schedulePoll(awaitingSince ? 2000 : undefined); // after a 202, look for the reply soon
  }

  function sendInput() {
    const text = nfc(ui.input.value).trim();
    if (!text || busy) return;
    if (text.length > MAX_LEN) { system(T.tooLong); return; }
    send(text, text, true);
  }

  // ---- Polling for late replies (e.g. a person from the commune's digital team) ----
  function touch() {
    lastActivity = Date.now();
    if (!pollTimer && !polling && !busy) schedulePoll();
  }
  function schedulePoll(delay) {
    clearTimeout(pollTimer); pollTimer = 0;
    if (!history.length && !awaitingSince) return;        // no conversation yet: nothing to fetch
    if (Date.now() - lastActivity > IDLE_STOP) return;     // idle: stop until the next activity
    const visible = isOpen && !document.hidden;
    pollTimer = setTimeout(poll, delay != null ? delay : (visible ? POLL_OPEN : POLL_CLOSED));
  }
  function poll() {
    pollTimer = 0;
    if (busy || polling) return;                           // send() reschedules when it ends
    const url = gateway + '/api/chat/messages?after=' + lastId;  // the conversation: cookie or X-Chat-Token
    polling = request('GET', url, null, 20000).then((res) => {
      if (res.status === 401) { forget(); return; }       // ended or expired: the next message starts anew
      if (res.status !== 200) return;
      const msgs = Array.isArray(res.data.messages) ? res.data.messages : [];
      setLastId(res.data.last_id);
      if (!msgs.length) return;
      awaitingSince = 0;
      lastActivity = Date.now();                           // someone is answering: keep polling
      showBot(msgs);
      if (!isOpen && ui.badge) { ui.badge.hidden = false; ui.launcher.setAttribute('aria-label', T.launcher + T.unread); }
    }, () => { /* offline for now: try again at the next tick */ }).then(() => {
      polling = null;
      if (!busy) { showTyping(); schedulePoll(); }
    });
  }

  // ---- Character counter (shown near the limit) ----
  function updateCounter() {
    const n = ui.input.value.length;
    ui.counter.hidden = n < COUNTER_FROM;
    ui.counter.textContent = n + '/' + MAX_LEN;
    ui.counter.className = 'troly-counter' + (n >= MAX_LEN ? ' troly-counter-full' : '');
  }

  // ---- Building the UI ----
  function buildUI() {
    const root = el('div', 'troly-root' + (embed ? ' troly-panel' : ''));
    const head = root.appendChild(el('div', 'troly-header'));
    head.appendChild(el(embed ? 'h2' : 'h1', 'troly-title', T.title)).id = 'troly-title';
    let closeBtn = null;
    if (embed) {
      root.id = 'troly-panel'; root.hidden = true;
      root.setAttribute('role', 'dialog'); root.setAttribute('aria-labelledby', 'troly-title');
      closeBtn = head.appendChild(el('button', 'troly-close', '×'));
      closeBtn.type = 'button'; closeBtn.title = T.close; closeBtn.setAttribute('aria-label', T.closeLabel);
    }
    const log = root.appendChild(el('div', 'troly-log'));  // new messages are announced (aria-live)
    log.setAttribute('role', 'log'); log.setAttribute('aria-live', 'polite'); log.setAttribute('aria-label', T.log);
    log.tabIndex = 0;                                      // scrollable by keyboard
    const typing = root.appendChild(el('div', 'troly-typing'));  // "Trợ lý đang trả lời…"
    typing.setAttribute('role', 'status'); typing.hidden = true;
    typing.appendChild(el('span', 'troly-dots')).setAttribute('aria-hidden', 'true');
    typing.appendChild(el('span', null, T.typing));

    const form = root.appendChild(el('form', 'troly-form'));
    form.noValidate = true;
    form.appendChild(el('label', 'troly-sr', T.inputLabel)).htmlFor = 'troly-input';
    const input = form.appendChild(el('textarea', 'troly-input'));
    input.id = 'troly-input'; input.rows = 2; input.maxLength = MAX_LEN; input.placeholder = T.placeholder;
    input.setAttribute('aria-describedby', 'troly-counter');
    const counter = form.appendChild(el('span', 'troly-counter'));
    counter.id = 'troly-counter'; counter.hidden = true;
    const sendBtn = form.appendChild(el('button', 'troly-send', T.send));
    sendBtn.type = 'submit';

    const foot = root.appendChild(el('div', 'troly-footer'));
    foot.appendChild(el('span', null, T.footer + ' '));
    const handoff = foot.appendChild(el('button', 'troly-handoff', T.handoff)); // sends "/human_handoff"
    handoff.type = 'button';
    const endBtn = foot.appendChild(el('button', 'troly-handoff troly-end', T.end)); // ends and clears
    endBtn.type = 'button'; endBtn.setAttribute('aria-label', T.endLabel);
    const privacy = foot.appendChild(el('a', 'troly-privacy-link', T.privacy)); // GET /privacy on the gateway
    privacy.href = gateway + '/privacy'; privacy.target = '_blank'; privacy.rel = 'noopener';
    privacy.setAttribute('aria-label', T.privacyLabel);

    ui = { root: root, log: log, typing: typing, input: input, counter: counter, sendBtn: sendBtn };
    history.forEach(addBubble);                            // before attaching: not re-announced

    form.addEventListener('submit', (e) => { e.preventDefault(); sendInput(); });
    input.addEventListener('keydown', (e) => {
      const enter = e.key === 'Enter' || e.keyCode === 13;
      // Enter sends, Shift+Enter = new line; ignore Enter while a Vietnamese IME is composing.
      if (enter && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendInput(); }
    });
    input.addEventListener('input', () => { updateCounter(); touch(); });
    handoff.addEventListener('click', () => send('/human_handoff', T.handoff, false));
    endBtn.addEventListener('click', end);
    if (closeBtn) closeBtn.addEventListener('click', close);
    root.addEventListener('keydown', (e) => {
      if (embed && (e.key === 'Escape' || e.key === 'Esc')) { e.preventDefault(); close(); }
    });
    return root;
  }

  // ---- Ending: the server forgets the token, this page forgets everything ----
  function forget() {
    token = null; session.del(K_TOKEN);
    history = []; lastId = 0; awaitingSince = 0;
    clearTimeout(pollTimer); pollTimer = 0;
  }
  async function end() {
    if (busy) return;
    setBusy(true);
    if (polling) await polling;
    try { await request('POST', gateway + '/api/chat/end', null, 20000); } catch (e) { /* offline: still clear */ }
    forget();
    while (ui.log.firstChild) ui.log.removeChild(ui.log.firstChild);
    setBusy(false);
    system(T.ended);
  }

  // ---- Open / close (embed mode) ----
  function open() {
    if (!ui) return;
    isOpen = true; ui.root.hidden = false;
    if (embed) {
      ui.launcher.setAttribute('aria-expanded', 'true'); ui.launcher.setAttribute('aria-label', T.launcher);
      ui.badge.hidden = true;
      ui.input.focus();
    }
    scrollDown();
    touch();
    schedulePoll();                                        // now at the faster "open" pace
    if (!history.length) send('/greet', null, false); // first open: greeting and menu, no user bubble
  }
  function close() {
    if (!ui || !embed) return;
    isOpen = false; ui.root.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    ui.launcher.focus();
    schedulePoll();
  }

  function init() {
    const mount = document.getElementById('troly-chat');
    embed = !mount;
    if (embed) token = session.get(K_TOKEN);
    if (!embed) {                                          // chat.html: full page, always open
      mount.appendChild(buildUI());
      open();
    } else {
      const link = document.createElement('link');        // embed: bring our own stylesheet
      link.rel = 'stylesheet'; link.href = gateway + '/static/widget.css';
      const wrap = el('div', 'troly-widget');
      wrap.hidden = true;                                  // avoid a flash of unstyled button
      link.onload = link.onerror = () => { wrap.hidden = false; };
      setTimeout(link.onload, 4000);                       // in case no load event ever fires
      (document.head || document.body).appendChild(link);
      const launcher = wrap.appendChild(el('button', 'troly-launcher', T.launcher));
      launcher.type = 'button';
      launcher.setAttribute('aria-expanded', 'false'); launcher.setAttribute('aria-controls', 'troly-panel');
      const badge = launcher.appendChild(el('span', 'troly-badge'));  // dot: new reply while closed
      badge.setAttribute('aria-hidden', 'true'); badge.hidden = true;
      wrap.appendChild(buildUI());
      ui.launcher = launcher; ui.badge = badge;
      launcher.addEventListener('click', () => (isOpen ? close() : open()));
      document.body.appendChild(wrap);
      schedulePoll();                                      // closed: slow polling if recently active
    }
    document.addEventListener('visibilitychange', () => { if (!document.hidden) touch(); schedulePoll(); });
  }

  window.TrolyWidget = { open: open, close: close };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
