// Warden review console: shared helpers. Plain DOM, no framework: a few kilobytes that load fast
// on a slow link. Every value from the API is inserted as text (never as HTML), so a command or
// reason cannot inject markup. The session cookie is HttpOnly; state changes send the CSRF token in
// a header. The console's scripts are classic scripts sharing one global scope, loaded in order:
// ui.js, approvals.js, sessions.js, views.js, app.js.

const state = { me: null, csrf: '', timer: 0, returnFocus: null, decision: null, ending: null };
const main = document.getElementById('main');
const status = document.getElementById('status');

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function announce(text) {
  status.textContent = text;
  clearTimeout(announce.t);
  announce.t = setTimeout(() => {
    status.textContent = '';
  }, 6000);
}

class ApiError extends Error {
  constructor(problem, httpStatus) {
    super(problem.detail || `HTTP ${httpStatus}`);
    this.status = httpStatus;
  }
}

async function api(path, options = {}) {
  const headers = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.method && options.method !== 'GET') headers['x-warden-csrf'] = state.csrf;
  const res = await fetch(path, {
    method: options.method || 'GET',
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (res.status === 204) return undefined;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(data, res.status);
  return data;
}

const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
function fmtLeft(iso) {
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (s <= 0) return 'expired';
  return s >= 120 ? `${Math.round(s / 60)} min left` : `${s} s left`;
}
const who = (p) => (p ? `${p.subject} (${p.kind})` : 'system');
const list = (xs) => (xs?.length ? xs.join(', ') : '—');
const badge = (s) => h('span', { class: `badge ${s}` }, s);

/** Replaces the page content and moves focus to its heading, so screen readers hear the change. */
function page(title, ...content) {
  document.title = `${title} — Warden`;
  const heading = h('h1', { tabindex: '-1' }, title);
  main.replaceChildren(heading, ...content);
  heading.focus();
}

// The interface the other console scripts use (they share this page's global scope).
Object.assign(globalThis, { announce, api, fmtTime, fmtLeft, who, list, badge, page });
