// Live sessions: who is connected where, the statements they hold for approval, and (for
// administrators) Terminate, which asks for confirmation and an optional reason the client is shown.

const endDialog = document.getElementById('terminate');
const endForm = document.getElementById('terminate-form');

async function showSessions() {
  const { sessions, canTerminate } = await api('/v1/sessions');
  const rows = sessions.map((s) =>
    h(
      'tr',
      {},
      h('td', {}, h('code', {}, s.session)),
      h('td', {}, who(s.principal)),
      h('td', {}, s.connection),
      h('td', {}, s.protocol),
      h('td', {}, fmtTime(s.startedAt)),
      h(
        'td',
        {},
        s.holding.length
          ? s.holding.map((id) => h('a', { href: `#/approvals/${id}` }, 'held statement'))
          : '—',
      ),
      canTerminate &&
        h(
          'td',
          {},
          s.terminable &&
            h(
              'button',
              {
                class: 'deny',
                'aria-label': `Terminate session of ${s.principal.subject} on ${s.connection}`,
                onclick: (e) => openTerminate(s, e.currentTarget),
              },
              'Terminate…',
            ),
        ),
    ),
  );
  const headings = ['Session', 'Principal', 'Connection', 'Protocol', 'Started', 'Holding'];
  if (canTerminate) headings.push('Action');
  page(
    'Live sessions',
    h(
      'p',
      { class: 'meta' },
      'Postgres and SSH sessions on this gateway. HTTP requests are not sessions and are not listed.',
    ),
    sessions.length
      ? h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...headings.map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rows),
        )
      : h('p', {}, 'No live sessions.'),
  );
}

function openTerminate(s, button) {
  state.ending = s;
  state.returnFocus = button;
  document.getElementById('terminate-summary').textContent =
    `${who(s.principal)} on ${s.connection} (${s.protocol}), since ${fmtTime(s.startedAt)}. ` +
    'The client is disconnected and told who ended the session and why.';
  document.getElementById('terminate-error').textContent = '';
  endForm.reset();
  endDialog.showModal();
  document.getElementById('terminate-reason').focus();
}

document.getElementById('terminate-cancel').addEventListener('click', () => {
  endDialog.close();
  if (state.returnFocus && document.contains(state.returnFocus)) state.returnFocus.focus();
});

endForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const s = state.ending;
  const reason = endForm.reason.value.trim();
  try {
    await api(`/v1/sessions/${encodeURIComponent(s.session)}/terminate`, {
      method: 'POST',
      body: reason ? { reason } : {},
    });
    endDialog.close();
    announce(`Session of ${s.principal.subject} on ${s.connection} terminated.`);
  } catch (err) {
    if (err.status !== 404) {
      document.getElementById('terminate-error').textContent = err.message;
      return;
    }
    endDialog.close();
    announce('That session had already ended.');
  }
  await showSessions();
});

Object.assign(globalThis, { showSessions });
