// mcp-lm-terminal web UI: plain JavaScript, no build step, no framework.
//
// The page itself is public and holds nothing: the API token the user pastes is kept in
// sessionStorage (this tab only) and sent as `Authorization: Bearer` on every call; each
// WebSocket gets a fresh single-use ticket from POST /auth/ticket. Server data is only ever put
// into the page as text (textContent), never as HTML.
(() => {
  'use strict';

  const TOKEN_KEY = 'mcp-lm-token';
  const ACTIVE_KEY = 'mcp-lm-active-session';
  const TPS_KEY = 'mcp-lm-tps-history';
  const LABELS_KEY = 'mcp-lm-labels';
  const VIEWS = ['terminals', 'lm', 'activity'];
  const RECONNECT_MAX_MS = 15000;

  const $ = (selector) => document.querySelector(selector);
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  /** An element with attributes and children (strings become text nodes, never HTML). */
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') el.className = value;
      else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function seconds(value) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
    if (value < 1) return `${number.format(value * 1000)} ms`;
    return `${number.format(value)} s`;
  }

  function duration(totalSeconds) {
    const s = Math.floor(totalSeconds || 0);
    const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) return `${d} d ${hr} h`;
    if (hr) return `${hr} h ${m} min`;
    if (m) return `${m} min ${sec} s`;
    return `${sec} s`;
  }

  function facts(dl, entries) {
    dl.replaceChildren(...entries.map(([term, value, cls]) =>
      h('div', {}, h('dt', {}, term), h('dd', { class: cls }, value))));
  }

  // ---------------------------------------------------------------- API

  let token = sessionStorage.getItem(TOKEN_KEY);

  class AuthError extends Error {}

  /** fetch() with the bearer token; a 401/403 signs out. */
  async function api(path, { method = 'GET', json, signal } = {}) {
    const headers = { Authorization: `Bearer ${token}` };
    let body;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    }
    const response = await fetch(path, { method, headers, body, signal, cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      signOut(`The server no longer accepts this token (HTTP ${response.status}). Sign in again.`);
      throw new AuthError('signed out');
    }
    return response;
  }

  /** The JSON body of a successful call, or an Error carrying the server's message and hint. */
  async function apiJson(path, options) {
    const response = await api(path, options);
    const body = await response.json().catch(() => null);
    if (!response.ok || (body && body.success === false)) {
      const error = body && body.error;
      const message = error ? `${error.message}${error.hint ? ` (${error.hint})` : ''}` : `HTTP ${response.status}`;
      const failure = new Error(message);
      failure.status = response.status;
      throw failure;
    }
    return body;
  }

  // ---------------------------------------------------------------- sign in / out

  let started = false;
  const timers = [];

  async function signIn(event) {
    event.preventDefault();
    const input = $('#token');
    const candidate = input.value.trim();
    const error = $('#login-error');
    error.textContent = '';
    if (!candidate) {
      error.textContent = 'Paste the API token first.';
      input.focus();
      return;
    }
    $('#login-button').disabled = true;
    try {
      const response = await fetch('/terminal/sessions', {
        headers: { Authorization: `Bearer ${candidate}` }, cache: 'no-store',
      });
      if (response.status === 401 || response.status === 403) {
        error.textContent = `Wrong token: the server refused it (HTTP ${response.status}). Check the api_token of the server's configuration.`;
        input.select();
        return;
      }
      if (!response.ok) {
        error.textContent = `The server answered HTTP ${response.status}; try again.`;
        return;
      }
      token = candidate;
      sessionStorage.setItem(TOKEN_KEY, token);
      input.value = '';
      const body = await response.json();
      start(body.sessions || []);
    } catch (e) {
      error.textContent = e instanceof TypeError && /header|ISO-8859/i.test(e.message)
        ? 'That token contains characters that cannot be sent in a header.'
        : `Cannot reach the server: ${e.message}`;
    } finally {
      $('#login-button').disabled = false;
    }
  }

  function signOut(message) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    started = false;
    activeId = null;
    while (timers.length) clearInterval(timers.pop());
    for (const tab of [...tabs.values()]) tab.dispose();
    tabs.clear();
    activeId = null;
    $('#nav').hidden = true;
    $('#logout').hidden = true;
    $('#server-state').replaceChildren();
    for (const view of VIEWS) $(`#view-${view}`).hidden = true;
    $('#view-login').hidden = false;
    $('#login-error').textContent = message || '';
    $('#token').focus();
  }

  function start(sessions) {
    started = true;
    $('#view-login').hidden = true;
    $('#nav').hidden = false;
    $('#logout').hidden = false;
    showView();
    restoreSessions(sessions);
    refreshStatus();
    timers.push(setInterval(refreshStatus, 10000));
    timers.push(setInterval(pollActivity, 2000));
    timers.push(setInterval(() => { if (currentView() === 'terminals') syncSessions(); }, 10000));
  }

  // ---------------------------------------------------------------- views

  function currentView() {
    const name = location.hash.slice(1);
    return VIEWS.includes(name) ? name : 'terminals';
  }

  function showView() {
    if (!started) return;
    const view = currentView();
    for (const name of VIEWS) $(`#view-${name}`).hidden = name !== view;
    for (const link of document.querySelectorAll('#nav a')) {
      if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (view === 'terminals') {
      const tab = tabs.get(activeId);
      if (tab) requestAnimationFrame(() => tab.show());
    } else if (view === 'lm') {
      refreshLm();
      drawChart();
    } else if (view === 'activity') {
      pollActivity(true);
    }
  }

  // ---------------------------------------------------------------- server status

  let lastStatus = null;

  async function refreshStatus() {
    const pill = $('#server-state');
    try {
      lastStatus = await apiJson('/status');
      const lm = lastStatus.lm_studio || {};
      const dot = lm.connected ? (lm.available ? 'ok' : 'warn') : 'bad';
      const text = lm.connected
        ? (lm.available ? 'LM Studio connected' : 'LM Studio connected, no model loaded')
        : 'LM Studio not reachable';
      pill.replaceChildren(h('span', { class: `dot ${dot}`, 'aria-hidden': 'true' }),
        `Server ${lastStatus.version} online · ${text}`);
      if (currentView() === 'lm') renderConnection();
      if (currentView() === 'activity') renderSummary();
    } catch (e) {
      if (e instanceof AuthError) return;
      pill.replaceChildren(h('span', { class: 'dot bad', 'aria-hidden': 'true' }), `Server unreachable: ${e.message}`);
    }
  }

  // ---------------------------------------------------------------- terminals

  /** Terminal tabs by session id (or a temporary key until the server names the session). */
  const tabs = new Map();
  let activeId = null;
  let tempKeys = 0;

  function labels() {
    try { return JSON.parse(localStorage.getItem(LABELS_KEY) || '{}'); } catch { return {}; }
  }

  function setLabel(id, label) {
    const all = labels();
    if (label) all[id] = label; else delete all[id];
    localStorage.setItem(LABELS_KEY, JSON.stringify(all));
  }

  class TermTab {
    constructor({ id = null, name = null, cols = 120, rows = 32 }) {
      this.key = id || `new-${++tempKeys}`;
      this.id = id;
      this.name = name;
      this.state = 'connecting';
      this.attempt = 0;
      this.ws = null;
      this.timer = null;
      this.opened = false;
      this.attachedOnce = false;
      this.exited = false;
      this.disposed = false;
      this.term = new Terminal({
        cols, rows,
        cursorBlink: true,
        scrollback: 5000,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
        fontSize: 14,
        screenReaderMode: $('#screen-reader').checked,
        theme: { background: '#000000', foreground: '#e6e9ef', cursor: '#ffd866', selectionBackground: '#3d6a99' },
      });
      this.fit = new FitAddon.FitAddon();
      this.term.loadAddon(this.fit);
      this.term.onData((data) => this.send({ type: 'input', data }));
      this.term.onBinary((data) => {
        if (this.ws && this.ws.readyState === WebSocket.OPEN) {
          this.ws.send(Uint8Array.from(data, (c) => c.charCodeAt(0)));
        }
      });
      this.term.onResize(({ cols: c, rows: r }) => {
        this.send({ type: 'resize', cols: c, rows: r });
        if (this.key === activeId) renderTermBar();
      });
      this.term.attachCustomKeyEventHandler((e) => this.keyHandler(e));

      this.tabEl = h('button', {
        type: 'button', role: 'tab', class: 'tab connecting', id: `tab-${this.key}`,
        'aria-selected': 'false', 'aria-controls': `panel-${this.key}`, tabindex: '-1',
        onclick: () => activate(this.key),
        onkeydown: (e) => tabKeys(e, this),
      }, h('span', { class: 'flag', 'aria-hidden': 'true' }), h('span', { class: 'label' }),
      h('span', { class: 'x', 'aria-hidden': 'true', title: 'Close', onclick: (e) => { e.stopPropagation(); this.close(); } }, '×'));
      this.banner = h('div', { class: 'banner', role: 'status', hidden: true });
      this.panel = h('div', {
        class: 'term-panel', role: 'tabpanel', id: `panel-${this.key}`, 'aria-labelledby': `tab-${this.key}`,
        hidden: true,
      }, this.banner);
      $('#tabs').append(this.tabEl);
      $('#terminals').append(this.panel);
      this.renderLabel();
    }

    get label() {
      return (this.id && labels()[this.id]) || this.name || (this.id ? this.id.slice(0, 12) : 'new terminal');
    }

    renderLabel() {
      this.tabEl.querySelector('.label').textContent = this.label;
      this.tabEl.dataset.sessionId = this.id || '';
      this.panel.dataset.sessionId = this.id || '';
      this.tabEl.setAttribute('aria-label', `${this.label} (${stateText(this, true)})`);
    }

    keyHandler(e) {
      if (e.type !== 'keydown') return true;
      if (e.key === 'F6') { e.preventDefault(); this.tabEl.focus(); return false; }
      if (e.ctrlKey && e.shiftKey && (e.key === 'C' || e.key === 'c')) {
        e.preventDefault();
        copySelection(this);
        return false;
      }
      // Ctrl+Shift+V: let the browser paste into xterm's textarea (xterm handles the paste event).
      if (e.ctrlKey && e.shiftKey && (e.key === 'V' || e.key === 'v')) return false;
      return true;
    }

    /** Shows the panel and, the first time, puts xterm into it. */
    show() {
      this.panel.hidden = false;
      if (!this.opened) {
        this.term.open(this.panel);
        this.opened = true;
      }
      this.fitNow();
    }

    fitNow() {
      if (!this.opened || this.panel.hidden || $('#view-terminals').hidden) return;
      try { this.fit.fit(); } catch { /* not measurable yet */ }
      if (this.key === activeId) renderTermBar();
    }

    send(message) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
    }

    setState(state, detail = '') {
      this.state = state;
      this.detail = detail;
      this.tabEl.className = `tab ${state}`;
      this.panel.className = `term-panel ${state}`;
      const banner = state === 'connected' ? '' : stateText(this);
      this.banner.hidden = !banner;
      this.banner.textContent = banner;
      this.renderLabel();
      if (this.key === activeId) renderTermBar();
    }

    async connect() {
      clearTimeout(this.timer);
      if (this.disposed || this.exited) return;
      if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; }
      this.setState(this.attachedOnce ? 'reconnecting' : 'connecting', 'connecting…');
      let ticket;
      try {
        ticket = (await apiJson('/auth/ticket', { method: 'POST' })).ticket;
      } catch (e) {
        if (e instanceof AuthError || this.disposed) return;
        this.scheduleReconnect();
        return;
      }
      if (this.disposed) return;
      const params = new URLSearchParams({ ticket });
      if (this.id) {
        params.set('session', this.id);
      } else {
        if (this.name) params.set('name', this.name);
        let size = null;
        try { size = this.opened ? this.fit.proposeDimensions() : null; } catch { size = null; }
        params.set('cols', String((size && size.cols) || this.term.cols));
        params.set('rows', String((size && size.rows) || this.term.rows));
      }
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${location.host}/terminal/stream?${params}`, ['mcp-lm']);
      this.ws = ws;
      let greeted = false;
      ws.onmessage = (e) => {
        let message;
        try { message = JSON.parse(e.data); } catch { return; }
        if (message.type === 'session') greeted = true;
        this.onMessage(message);
      };
      ws.onclose = () => {
        if (this.ws !== ws) return;
        this.ws = null;
        if (this.disposed || this.exited) return;
        if (greeted) this.scheduleReconnect();
        else this.failedToAttach();
      };
    }

    onMessage(message) {
      switch (message.type) {
        case 'session': {
          const first = !this.id;
          if (this.attachedOnce) this.term.reset(); // the server replays the scrollback
          this.attachedOnce = true;
          this.attempt = 0;
          this.name = message.name || this.name;
          if (first) {
            tabs.delete(this.key);
            const oldKey = this.key;
            this.id = message.id;
            this.key = message.id;
            tabs.set(this.key, this);
            this.tabEl.id = `tab-${this.key}`;
            this.panel.id = `panel-${this.key}`;
            this.tabEl.setAttribute('aria-controls', this.panel.id);
            this.panel.setAttribute('aria-labelledby', this.tabEl.id);
            if (activeId === oldKey) {
              activeId = this.key;
              sessionStorage.setItem(ACTIVE_KEY, this.key);
            }
          }
          this.setState('connected');
          // The server's size may differ (another client, or a restored session): ours wins.
          this.fitNow();
          if (message.cols !== this.term.cols || message.rows !== this.term.rows) {
            this.send({ type: 'resize', cols: this.term.cols, rows: this.term.rows });
          }
          break;
        }
        case 'output':
          this.term.write(message.data);
          break;
        case 'exit': {
          this.exited = true;
          const how = message.signal ? `killed by signal ${message.signal}` : `exit code ${message.code}`;
          this.term.write(`\r\n\x1b[2m[the session ended: ${how}]\x1b[0m\r\n`);
          this.setState('exited', how);
          break;
        }
        case 'lagged':
          // The server dropped output for this slow socket: reattach to resync from the scrollback.
          this.connect();
          break;
        case 'error':
          $('#term-error').textContent = `Terminal ${this.label}: ${message.message}`;
          break;
        default:
      }
    }

    /** The socket closed before the server greeted it: the session is gone, or refused. */
    async failedToAttach() {
      if (!this.id) {
        $('#term-error').textContent = 'The server refused to open a terminal (too many sessions, a name already in use, or a restart).';
        this.dispose();
        return;
      }
      try {
        const response = await api(`/terminal/sessions/${encodeURIComponent(this.id)}`);
        if (response.status === 404) {
          this.exited = true;
          this.setState('gone', 'the session no longer exists on the server');
          return;
        }
      } catch (e) {
        if (e instanceof AuthError) return;
      }
      this.scheduleReconnect();
    }

    scheduleReconnect() {
      if (this.disposed || this.exited) return;
      const delay = Math.min(RECONNECT_MAX_MS, 500 * 2 ** this.attempt) * (1 + Math.random() * 0.2);
      this.attempt += 1;
      this.retryAt = Date.now() + delay;
      this.setState('reconnecting');
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.connect(), delay);
    }

    async close() {
      const what = this.label;
      if (!confirm(`Close the terminal "${what}"? Its processes are killed.`)) return;
      if (this.id) {
        try {
          const response = await api(`/terminal/sessions/${encodeURIComponent(this.id)}`, { method: 'DELETE' });
          if (!response.ok && response.status !== 404) {
            const body = await response.json().catch(() => null);
            $('#term-error').textContent = `Cannot close ${what}: ${body?.error?.message || response.status}`;
            return;
          }
        } catch (e) {
          if (!(e instanceof AuthError)) $('#term-error').textContent = `Cannot close ${what}: ${e.message}`;
          return;
        }
        setLabel(this.id, null);
      }
      this.dispose();
    }

    dispose() {
      if (this.disposed) return;
      this.disposed = true;
      clearTimeout(this.timer);
      if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; }
      const order = [...tabs.keys()];
      const index = order.indexOf(this.key);
      tabs.delete(this.key);
      this.term.dispose();
      this.tabEl.remove();
      this.panel.remove();
      if (activeId === this.key) {
        const next = order[index + 1] || order[index - 1];
        activeId = null;
        if (next && tabs.has(next)) activate(next);
      }
      renderTermBar();
    }
  }

  function stateText(tab, short = false) {
    switch (tab.state) {
      case 'connected': return 'connected';
      case 'connecting': return 'connecting…';
      case 'reconnecting': {
        if (short) return 'disconnected';
        const left = Math.max(0, Math.ceil(((tab.retryAt || 0) - Date.now()) / 1000));
        return tab.ws ? 'Disconnected — reconnecting now…'
          : `Disconnected — reconnecting in ${left} s (attempt ${tab.attempt})`;
      }
      case 'exited': return short ? 'ended' : `Session ended (${tab.detail})`;
      case 'gone': return short ? 'gone' : 'Session gone: it no longer exists on the server';
      default: return tab.state;
    }
  }

  function renderTermBar() {
    const tab = tabs.get(activeId);
    $('#term-bar').hidden = !tab;
    $('#no-terms').hidden = tabs.size > 0;
    if (!tab) return;
    const state = $('#term-state');
    state.className = `state ${tab.state}`;
    state.textContent = `${tab.label}: ${stateText(tab)}`;
    $('#reconnect-now').hidden = tab.state !== 'reconnecting';
    $('#term-size').textContent = `${tab.term.cols}×${tab.term.rows}`;
    $('#term-interrupt').disabled = tab.state !== 'connected';
  }

  function activate(key, focus = true) {
    const tab = tabs.get(key);
    if (!tab) return;
    activeId = key;
    if (tab.id) sessionStorage.setItem(ACTIVE_KEY, tab.id);
    for (const other of tabs.values()) {
      const selected = other === tab;
      other.tabEl.setAttribute('aria-selected', String(selected));
      other.tabEl.tabIndex = selected ? 0 : -1;
      if (!selected) other.panel.hidden = true;
    }
    if (!$('#view-terminals').hidden) {
      tab.show();
      if (focus) tab.term.focus();
    }
    renderTermBar();
  }

  function tabKeys(e, tab) {
    const order = [...tabs.values()];
    const index = order.indexOf(tab);
    let target = null;
    if (e.key === 'ArrowRight') target = order[(index + 1) % order.length];
    else if (e.key === 'ArrowLeft') target = order[(index - 1 + order.length) % order.length];
    else if (e.key === 'Home') target = order[0];
    else if (e.key === 'End') target = order[order.length - 1];
    else if (e.key === 'Delete') { e.preventDefault(); tab.close(); return; }
    if (target) {
      e.preventDefault();
      activate(target.key, false);
      target.tabEl.focus();
    }
  }

  function addTab(info, makeActive) {
    const tab = new TermTab(info);
    tabs.set(tab.key, tab);
    if (makeActive || !activeId) activate(tab.key, makeActive);
    tab.connect();
    renderTermBar();
    return tab;
  }

  function restoreSessions(sessions) {
    const wanted = sessionStorage.getItem(ACTIVE_KEY);
    for (const session of sessions) {
      if (tabs.has(session.id)) continue;
      addTab({ id: session.id, name: session.name, cols: session.cols, rows: session.rows }, false);
    }
    if (wanted && tabs.has(wanted)) activate(wanted, false);
    renderTermBar();
  }

  async function syncSessions() {
    try {
      const body = await apiJson('/terminal/sessions');
      restoreSessions((body.sessions || []).filter((s) => !tabs.has(s.id)));
    } catch { /* shown by the status pill */ }
  }

  async function newTerminal(event) {
    if (event) event.preventDefault();
    const input = $('#new-name');
    const name = input.value.trim();
    $('#term-error').textContent = '';
    if (name && !/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
      $('#term-error').textContent = 'A name is 1 to 64 letters, digits, dots, dashes or underscores.';
      input.focus();
      return;
    }
    if (name) {
      try {
        const body = await apiJson('/terminal/sessions');
        if ((body.sessions || []).some((s) => s.name === name)) {
          $('#term-error').textContent = `A session named "${name}" is already open.`;
          return;
        }
      } catch (e) {
        if (e instanceof AuthError) return;
      }
    }
    input.value = '';
    addTab({ name: name || null }, true);
  }

  async function copySelection(tab) {
    const text = tab.term.getSelection();
    if (!text) return;
    try { await navigator.clipboard.writeText(text); } catch {
      $('#term-error').textContent = 'The browser refused clipboard access; use the context menu to copy.';
    }
  }

  async function pasteInto(tab) {
    try {
      const text = await navigator.clipboard.readText();
      if (text) tab.term.paste(text);
      tab.term.focus();
    } catch {
      $('#term-error').textContent = 'The browser refused clipboard access; use Ctrl+Shift+V in the terminal.';
    }
  }

  let resizeTimer = null;
  function onResize() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const tab = tabs.get(activeId);
      if (tab) tab.fitNow();
      if (currentView() === 'lm') drawChart();
    }, 60);
  }

  // ---------------------------------------------------------------- LM Studio

  let models = [];

  function renderConnection() {
    const s = lastStatus;
    if (!s) return;
    const lm = s.lm_studio || {};
    const entries = [
      ['State', lm.connected ? (lm.available ? 'connected, model loaded' : 'connected, no model loaded') : 'not reachable',
        lm.connected ? (lm.available ? 'ok-text' : 'warn-text') : 'bad-text'],
      ['Host', lm.host || '—'],
      ['Model', lm.model || '—'],
      ['API', lm.api_version || '—'],
    ];
    if (lm.backend && lm.backend !== 'lmstudio') entries.push(['Backend', `${lm.backend} (${lm.kind})`]);
    if (lm.error) entries.push(['Error', lm.error, 'bad-text']);
    const others = (s.backends || []).filter((b) => !b.default);
    for (const b of others) {
      entries.push([`Backend ${b.name}`, `${b.kind} at ${b.host}: ${b.connected ? 'connected' : 'not reachable'}`,
        b.connected ? 'ok-text' : 'bad-text']);
    }
    facts($('#lm-conn'), entries);
  }

  async function refreshLm() {
    await refreshStatus();
    renderConnection();
    const note = $('#models-note');
    try {
      const body = await apiJson('/lm/models');
      const several = (body.backends || []).length > 1;
      models = several
        ? body.backends.flatMap((b) => (b.models || []).map((m) => ({ ...m, backend: b.name })))
        : (body.models || []);
      renderModels(several);
      note.textContent = models.length ? '' : 'The model server lists no model.';
    } catch (e) {
      if (e instanceof AuthError) return;
      $('#models tbody').replaceChildren();
      note.textContent = `Cannot list the models: ${e.message}`;
    }
  }

  function renderModels(several) {
    const rows = models.map((m) => {
      const loaded = m.state === 'loaded';
      const context = [m.loaded_context_length, m.max_context_length].map((v) => (v ? number.format(v) : '—')).join(' / ');
      return h('tr', {},
        h('td', { class: 'mono' }, several ? `${m.id} (${m.backend})` : m.id),
        h('td', {}, m.type || '—'),
        h('td', {}, h('span', { class: `badge ${loaded ? 'loaded' : ''}` }, m.state || '—')),
        h('td', {}, m.arch || '—'),
        h('td', {}, m.quantization || '—'),
        h('td', {}, m.compatibility_type || '—'),
        h('td', {}, context));
    });
    $('#models tbody').replaceChildren(...rows);
    const select = $('#model');
    const current = select.value;
    const chat = models.filter((m) => !m.type || m.type === 'llm' || m.type === 'vlm');
    select.replaceChildren(h('option', { value: '' }, 'configured default'),
      ...chat.map((m) => h('option', { value: m.id }, `${m.id}${m.state === 'loaded' ? ' (loaded)' : ''}`)));
    if (chat.some((m) => m.id === current)) select.value = current;
  }

  /** Server-sent events from a fetch() body: {event, data} for each block. */
  async function* sseEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const parse = (block) => {
      let event = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      return data.length ? { event, data: data.join('\n') } : null;
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let match;
      while ((match = /\r?\n\r?\n/.exec(buffer))) {
        const block = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        const event = parse(block);
        if (event) yield event;
      }
    }
    const last = parse(buffer);
    if (last) yield last;
  }

  let queryAbort = null;

  async function sendPrompt(event) {
    event.preventDefault();
    const prompt = $('#prompt').value.trim();
    const error = $('#lm-error');
    error.textContent = '';
    if (!prompt) { error.textContent = 'Write a prompt first.'; $('#prompt').focus(); return; }
    const request = { prompt, stream: true };
    if ($('#model').value) request.model = $('#model').value;
    const maxTokens = parseInt($('#max-tokens').value, 10);
    if (maxTokens > 0) request.max_tokens = maxTokens;

    const answer = $('#answer');
    const reasoning = $('#reasoning');
    const progress = $('#lm-progress');
    answer.textContent = '';
    reasoning.textContent = '';
    $('#reasoning-box').hidden = true;
    $('#stats').replaceChildren();
    answer.setAttribute('aria-busy', 'true');
    $('#send').disabled = true;
    $('#stop').disabled = false;
    queryAbort = new AbortController();
    const sent = performance.now();
    let firstDelta = null;
    try {
      const response = await api('/lm/query', { method: 'POST', json: request, signal: queryAbort.signal });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        const e = body && body.error;
        throw new Error(e ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : `HTTP ${response.status}`);
      }
      for await (const { event: name, data } of sseEvents(response.body)) {
        let message;
        try { message = JSON.parse(data); } catch { continue; }
        const type = message.type || name;
        if (type === 'delta') {
          if (firstDelta === null) firstDelta = performance.now();
          if (message.content) answer.append(message.content);
          if (message.reasoning) { $('#reasoning-box').hidden = false; reasoning.append(message.reasoning); }
        } else if (type === 'progress') {
          progress.hidden = false;
          progress.value = message.progress || 0;
          progress.setAttribute('aria-label', `${message.stage}: ${Math.round((message.progress || 0) * 100)}%`);
        } else if (type === 'done') {
          if (!answer.textContent && message.content) answer.textContent = message.content;
          showStats(message, performance.now() - sent, firstDelta === null ? null : firstDelta - sent);
        } else if (type === 'error') {
          const e = message.error || {};
          error.textContent = `${e.message || 'the model server failed'}${e.hint ? ` (${e.hint})` : ''}`;
        }
      }
    } catch (e) {
      if (e instanceof AuthError) return;
      error.textContent = e.name === 'AbortError' ? 'Stopped.' : `The query failed: ${e.message}`;
    } finally {
      queryAbort = null;
      progress.hidden = true;
      answer.setAttribute('aria-busy', 'false');
      $('#send').disabled = false;
      $('#stop').disabled = true;
      pollActivity();
    }
  }

  function showStats(done, totalMs, firstMs) {
    const stats = done.stats || {};
    const usage = done.usage || {};
    const source = stats.source === 'server' ? 'server (LM Studio)' : stats.source === 'measured' ? 'measured by mcp-lm-http' : (stats.source || '—');
    facts($('#stats'), [
      ['Tokens/s', typeof stats.tokens_per_second === 'number' ? number.format(stats.tokens_per_second) : '—'],
      ['Time to first token', seconds(stats.time_to_first_token)],
      ['Generation time', seconds(stats.generation_time)],
      ['Stop reason', stats.stop_reason || done.finish_reason || '—'],
      ['Source', source],
      ['Tokens', usage.completion_tokens !== undefined ? `${usage.completion_tokens} out, ${usage.prompt_tokens} in` : '—'],
      ['Model', done.model || '—'],
      ['In the browser', `${seconds(totalMs / 1000)} total${firstMs !== null ? `, first text at ${seconds(firstMs / 1000)}` : ''}`],
    ]);
    if (typeof stats.tokens_per_second === 'number') {
      const history = tpsHistory();
      history.push({ tps: stats.tokens_per_second, model: done.model || '', at: Date.now() });
      sessionStorage.setItem(TPS_KEY, JSON.stringify(history.slice(-20)));
      drawChart();
    }
  }

  function tpsHistory() {
    try { return JSON.parse(sessionStorage.getItem(TPS_KEY) || '[]'); } catch { return []; }
  }

  function drawChart() {
    const canvas = $('#tps-chart');
    const history = tpsHistory();
    const width = canvas.clientWidth || 480;
    const height = canvas.clientHeight || 160;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#aab3c0';
    if (!history.length) {
      ctx.fillText('No query yet: ask something below.', 8, height / 2);
      canvas.setAttribute('aria-label', 'Tokens per second: no query yet');
      return;
    }
    const max = Math.max(...history.map((p) => p.tps), 1);
    const left = 8, top = 20, bottom = height - 8;
    const slot = (width - left - 8) / 20;
    ctx.fillText(`max ${number.format(max)} tok/s`, left, 13);
    ctx.strokeStyle = '#3a4555';
    ctx.beginPath();
    ctx.moveTo(left, bottom + 0.5);
    ctx.lineTo(width - 8, bottom + 0.5);
    ctx.stroke();
    history.forEach((point, i) => {
      const barHeight = Math.max(2, ((bottom - top) * point.tps) / max);
      ctx.fillStyle = i === history.length - 1 ? '#6cb6ff' : '#3d7ab8';
      ctx.fillRect(left + i * slot + 2, bottom - barHeight, Math.max(2, slot - 4), barHeight);
    });
    canvas.setAttribute('aria-label', `Tokens per second of the last ${history.length} queries, oldest first: ${history.map((p) => number.format(p.tps)).join(', ')}`);
  }

  // ---------------------------------------------------------------- activity

  let events = [];
  let auditEnabled = true;
  let summary = null;
  let polling = false;

  async function pollActivity(force = false) {
    if (!started || polling) return;
    if (!force && (currentView() !== 'activity' || document.hidden || !$('#live').checked)) return;
    polling = true;
    try {
      const body = await apiJson('/activity?limit=500');
      events = body.events || [];
      auditEnabled = body.audit_enabled !== false;
      summary = body.summary || null;
      renderSummary();
      renderEvents();
    } catch (e) {
      if (!(e instanceof AuthError)) $('#events-note').textContent = `Cannot read the activity: ${e.message}`;
    } finally {
      polling = false;
    }
  }

  function renderSummary() {
    const lm = lastStatus && lastStatus.lm_studio;
    const entries = [];
    if (summary) {
      entries.push(['Uptime', duration(summary.uptime_s)], ['Sessions', summary.sessions], ['Jobs', summary.jobs],
        ['Commands running', summary.running], ['Version', summary.version]);
    }
    if (lm) entries.push(['LM Studio', lm.connected ? 'connected' : 'not reachable', lm.connected ? 'ok-text' : 'bad-text']);
    facts($('#summary'), entries);
  }

  function describe(event) {
    const kind = event.kind;
    let what = '';
    let result = '';
    if (kind === 'command' || (kind === 'job' && event.cmd)) {
      what = event.cmd || '';
      if (event.error) result = `error: ${event.error}`;
      else if (event.timed_out) result = 'timed out';
      else if (event.cancelled) result = 'cancelled';
      else if (event.exit_code !== undefined) result = `exit ${event.exit_code}`;
      else if (event.event) result = event.event;
      if (event.duration_ms !== undefined) result += ` · ${number.format(event.duration_ms)} ms`;
      if (kind === 'job' && event.event) what = `${event.event} ${what}`;
    } else if (kind === 'query') {
      what = `${event.model || 'default'}${event.backend ? ` on ${event.backend}` : ''}${event.stream ? ', streamed' : ''}`;
      result = event.outcome || '';
    } else if (kind === 'session' || kind === 'job') {
      what = [event.event, event.name || event.id, event.pid ? `pid ${event.pid}` : ''].filter(Boolean).join(' ');
      if (event.exit) result = event.exit.signal ? `signal ${event.exit.signal}` : `exit ${event.exit.code}`;
    } else if (kind === 'server') {
      what = [event.event, event.addr].filter(Boolean).join(' ');
      if (event.sessions_closed !== undefined) result = `${event.sessions_closed} sessions closed`;
    } else {
      const { time, kind: _k, caller, remote, ...rest } = event;
      what = JSON.stringify(rest);
    }
    return { what, result: result.trim() };
  }

  function renderEvents() {
    const filter = $('#filter').value.trim().toLowerCase();
    const kind = $('#kind').value;
    const shown = events
      .filter((e) => !kind || e.kind === kind)
      .filter((e) => !filter || JSON.stringify(e).toLowerCase().includes(filter))
      .reverse();
    const rows = shown.slice(0, 500).map((event) => {
      const { what, result } = describe(event);
      const time = event.time ? new Date(event.time) : null;
      const bad = /error|timed out|exit [1-9]/.test(result);
      return h('tr', { 'data-kind': event.kind },
        h('td', { class: 'time', title: event.time || '' }, time && !Number.isNaN(time.getTime()) ? time.toLocaleTimeString() : '—'),
        h('td', {}, h('span', { class: 'badge' }, event.kind || '?')),
        h('td', { class: 'mono' }, what),
        h('td', { class: bad ? 'bad-text' : '' }, result),
        h('td', { title: event.remote || '' }, event.caller || ''));
    });
    $('#events tbody').replaceChildren(...rows);
    $('#events-note').textContent = !auditEnabled
      ? 'The audit log is disabled on this server (log.audit_path), so there is no activity to show.'
      : `${shown.length} of ${events.length} recent events${filter || kind ? ' match' : ''}, newest first.`;
  }

  async function runCommand(event) {
    event.preventDefault();
    const cmd = $('#cmd').value.trim();
    const result = $('#cmd-result');
    const output = $('#cmd-output');
    if (!cmd) { result.textContent = 'Type a command first.'; return; }
    result.textContent = `Running ${cmd}…`;
    output.textContent = '';
    output.hidden = true;
    try {
      // Streamed: the output shows as the command prints it, then the result replaces it.
      const response = await api('/terminal/cmd', { method: 'POST', json: { cmd, stream: true } });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        const e = body && body.error;
        throw new Error(e ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : `HTTP ${response.status}`);
      }
      let ended = false;
      for await (const { event: name, data } of sseEvents(response.body)) {
        let message;
        try { message = JSON.parse(data); } catch { continue; }
        if (name === 'output') {
          output.append(message.stream === 'stderr' ? `[stderr] ${message.text || ''}` : message.text || '');
          output.hidden = false;
        } else if (name === 'done') {
          ended = true;
          const how = message.timed_out ? 'timed out' : message.signal ? `killed by ${message.signal}` : `exit code ${message.exit_code}`;
          result.textContent = `${cmd}: ${how} in ${seconds(message.execution_time)}`;
          output.textContent = `${message.stdout || ''}${message.stderr ? `\n[stderr]\n${message.stderr}` : ''}`;
          output.hidden = !output.textContent.trim();
        } else if (name === 'error') {
          throw new Error(`${message.message || 'the command failed'}${message.hint ? ` (${message.hint})` : ''}`);
        }
      }
      if (!ended) throw new Error('the server ended the stream without the result');
    } catch (e) {
      if (e instanceof AuthError) return;
      result.textContent = `${cmd}: ${e.message}`;
    }
    pollActivity(true);
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    $('#login-form').addEventListener('submit', signIn);
    $('#logout').addEventListener('click', () => signOut('Signed out. The terminals keep running on the server.'));
    window.addEventListener('hashchange', showView);
    $('#new-form').addEventListener('submit', newTerminal);
    $('#first-term').addEventListener('click', () => newTerminal());
    const active = () => tabs.get(activeId);
    $('#term-copy').addEventListener('click', () => active() && copySelection(active()));
    $('#term-paste').addEventListener('click', () => active() && pasteInto(active()));
    $('#term-interrupt').addEventListener('click', () => {
      const tab = active();
      if (tab) { tab.send({ type: 'signal', name: 'INT' }); tab.term.focus(); }
    });
    $('#term-rename').addEventListener('click', () => {
      const tab = active();
      if (!tab || !tab.id) return;
      const label = prompt('Label for this terminal (kept in this browser; the server has no rename):', tab.label);
      if (label === null) return;
      setLabel(tab.id, label.trim().slice(0, 64));
      tab.renderLabel();
      renderTermBar();
    });
    $('#term-close').addEventListener('click', () => active() && active().close());
    $('#reconnect-now').addEventListener('click', () => active() && active().connect());
    $('#screen-reader').addEventListener('change', (e) => {
      for (const tab of tabs.values()) tab.term.options.screenReaderMode = e.target.checked;
    });
    $('#lm-refresh').addEventListener('click', refreshLm);
    $('#prompt-form').addEventListener('submit', sendPrompt);
    $('#prompt').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $('#prompt-form').requestSubmit();
    });
    $('#stop').addEventListener('click', () => queryAbort && queryAbort.abort());
    $('#cmd-form').addEventListener('submit', runCommand);
    $('#filter').addEventListener('input', renderEvents);
    $('#kind').addEventListener('change', renderEvents);
    $('#live').addEventListener('change', () => pollActivity());
    window.addEventListener('resize', onResize);
    new ResizeObserver(onResize).observe($('#terminals'));
    // Back online, or back to this tab: retry dropped terminals now instead of waiting.
    const retryNow = () => {
      for (const tab of tabs.values()) if (tab.state === 'reconnecting' && !tab.ws) tab.connect();
    };
    window.addEventListener('online', retryNow);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) retryNow(); });
    // Count the reconnection delay down.
    setInterval(() => {
      const tab = tabs.get(activeId);
      if (tab && tab.state === 'reconnecting') { tab.setState('reconnecting'); }
    }, 1000);
  }

  async function boot() {
    wire();
    if (!token) { signOut(''); return; }
    try {
      const response = await fetch('/terminal/sessions', { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
      if (!response.ok) {
        signOut(response.status === 401 || response.status === 403
          ? 'The saved token is no longer accepted. Sign in again.' : `The server answered HTTP ${response.status}.`);
        return;
      }
      start((await response.json()).sessions || []);
    } catch (e) {
      signOut(`Cannot reach the server: ${e.message}`);
    }
  }

  boot();
})();
