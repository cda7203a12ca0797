// Reviewer views besides approvals and sessions: the audit timeline, recordings and replay.

function auditTable(events) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Time', 'Type', 'Principal', 'Connection', 'Detail'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      events.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, fmtTime(e.time)),
          h('td', {}, e.type),
          h('td', {}, who(e.principal)),
          h('td', {}, e.connection || '—'),
          h('td', {}, h('code', {}, JSON.stringify(e.body).slice(0, 300))),
        ),
      ),
    ),
  );
}

async function showAudit(params) {
  const fields = [
    ['principal', 'Principal (subject)', 'text'],
    ['connection', 'Connection', 'text'],
    ['type', 'Type (or prefix ending in .)', 'text'],
    ['since', 'Since', 'datetime-local'],
    ['until', 'Until', 'datetime-local'],
  ];
  const search = h(
    'form',
    { class: 'search', role: 'search' },
    fields.map(([name, label, type]) =>
      h(
        'div',
        {},
        h('label', { for: `q-${name}` }, label),
        h('input', { id: `q-${name}`, name, type, value: params.get(name) || '' }),
      ),
    ),
    h('div', {}, h('button', { type: 'submit' }, 'Search')),
  );
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [name] of fields) if (search[name].value) q.set(name, search[name].value);
    location.hash = `#/audit?${q}`;
  });
  const q = new URLSearchParams(params);
  for (const k of ['since', 'until']) if (q.get(k)) q.set(k, new Date(q.get(k)).toISOString());
  const { events, truncated } = await api(`/v1/audit/events?${q}`);
  page(
    'Audit timeline',
    search,
    h(
      'p',
      { class: 'meta' },
      `${events.length} event${events.length === 1 ? '' : 's'}, newest first${truncated ? ' (older ones left out)' : ''}.`,
    ),
    auditTable(events),
  );
}

async function showRecordings() {
  const { recordings, enabled } = await api('/v1/recordings');
  page(
    'Session recordings',
    !enabled && h('p', { class: 'note' }, 'Session recording is turned off in this gateway.'),
    recordings.length
      ? h(
          'ul',
          {},
          recordings.map((r) =>
            h(
              'li',
              {},
              h('a', { href: `#/recordings/${r.session}` }, r.session),
              ` — ${fmtTime(r.modifiedAt)}, ${r.bytes} bytes`,
            ),
          ),
        )
      : h('p', {}, 'No recordings.'),
  );
}

function recordingLine(l) {
  const at = `+${((l.t || 0) / 1000).toFixed(3)} s`;
  if (l.type === 'session.start')
    return h('li', {}, `Session of ${who(l.principal)} on ${l.connection} at ${fmtTime(l.time)}`);
  if (l.type === 'statement')
    return h(
      'li',
      {},
      `${at} `,
      h('code', {}, l.text || ''),
      ` → ${l.decision}${l.rule ? ` (${l.rule})` : ''}`,
    );
  if (l.type === 'result') {
    const sets = (l.sets || []).map((s) =>
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            s.columns.map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          s.rows.map((row) =>
            h(
              'tr',
              {},
              row.map((v) => h('td', {}, v === null ? 'NULL' : v)),
            ),
          ),
        ),
      ),
    );
    return h('li', {}, `${at} ${l.outcome}: ${l.rows} row(s)${l.truncated ? ' (truncated)' : ''}`, ...sets);
  }
  return h('li', {}, `${at} ${l.type}${l.reason ? `: ${l.reason}` : ''}`);
}

async function showRecording(id) {
  const { lines } = await api(`/v1/recordings/${encodeURIComponent(id)}`);
  const out = h('ol', { class: 'replay', 'aria-live': 'polite' });
  const play = h('button', { class: 'secondary' }, 'Replay in time');
  play.addEventListener('click', async () => {
    out.replaceChildren();
    let last = 0;
    for (const l of lines) {
      // Real pauses, capped at a second so a long idle session still replays quickly.
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, (l.t || 0) - last))));
      last = l.t || 0;
      out.append(recordingLine(l));
    }
  });
  out.append(...lines.map(recordingLine));
  page(`Recording ${id}`, h('div', { class: 'actions' }, play), out);
}

Object.assign(globalThis, { showAudit, showRecordings, showRecording });
