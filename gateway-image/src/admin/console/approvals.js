// Pending approvals, one request's full context, and the decision dialog.

function mayDecide(r) {
  if (!state.me || r.status !== 'pending') return false;
  const mine = r.requester.subject === state.me.subject && r.requester.issuer === state.me.issuer;
  const voted = r.votes.some((v) => v.approver.subject === state.me.subject);
  return !mine && !voted && state.me.groups.some((g) => r.approverGroups.includes(g));
}

function statementFacts(statements) {
  return h(
    'table',
    {},
    h('caption', { class: 'meta' }, 'What the statement touches (from the PostgreSQL parse tree)'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Kind', 'Reads', 'Writes', 'Columns', 'Functions', 'WHERE'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      (statements || []).map((s) =>
        h(
          'tr',
          {},
          h('td', {}, s.kind),
          h('td', {}, list(s.reads)),
          h('td', {}, list(s.writes)),
          h('td', {}, list(s.columns)),
          h('td', {}, list(s.functions)),
          h('td', {}, s.hasWhere === undefined ? '—' : s.hasWhere ? 'yes' : 'no'),
        ),
      ),
    ),
  );
}

function approvalCard(r, detailed) {
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Requester'),
    h('dd', {}, who(r.requester)),
    h('dt', {}, 'Connection'),
    h('dd', {}, r.connection),
    h('dt', {}, 'Rule'),
    h('dd', {}, `${r.rule} — ${r.ruleReason}`),
    h('dt', {}, 'Reason given'),
    h('dd', {}, r.reason || '(none)'),
    h('dt', {}, 'Created'),
    h('dd', {}, fmtTime(r.createdAt)),
    h('dt', {}, 'Expires'),
    h('dd', {}, `${fmtTime(r.expiresAt)} (${fmtLeft(r.expiresAt)})`),
    detailed && h('dt', {}, 'Approvers'),
    detailed && h('dd', {}, `${list(r.approverGroups)}; ${r.minApprovers} needed`),
    detailed && r.session && h('dt', {}, 'Session'),
    detailed && r.session && h('dd', {}, h('code', {}, r.session)),
  );
  const title = r.kind === 'access' ? `Access to ${r.connection}` : `Statement on ${r.connection}`;
  const card = h(
    'article',
    { class: 'card', 'aria-labelledby': `t-${r.id}` },
    h('h2', { id: `t-${r.id}` }, title, ' ', badge(r.status)),
    r.command && h('pre', { 'aria-label': 'Normalized command' }, h('code', {}, r.command)),
    facts,
    detailed && r.statements && statementFacts(r.statements),
    detailed &&
      r.votes.length > 0 &&
      h(
        'ul',
        { 'aria-label': 'Decisions so far' },
        r.votes.map((v) =>
          h('li', {}, `${v.verdict} by ${who(v.approver)} at ${fmtTime(v.at)}: ${v.justification}`),
        ),
      ),
  );
  if (!detailed) {
    card.append(
      h('p', {}, h('a', { href: `#/approvals/${r.id}` }, 'Review ', h('span', { class: 'meta' }, r.id))),
    );
  } else if (mayDecide(r)) {
    card.append(
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { class: 'approve', onclick: (e) => openDecision(r, 'approve', e.currentTarget) },
          'Approve…',
        ),
        h('button', { class: 'deny', onclick: (e) => openDecision(r, 'deny', e.currentTarget) }, 'Deny…'),
      ),
    );
  } else if (r.status === 'pending' && state.me && r.requester.subject === state.me.subject) {
    card.append(h('p', { class: 'note' }, 'You made this request: another approver must decide it.'));
  } else if (r.status === 'pending') {
    card.append(
      h('p', { class: 'note' }, `Only members of ${list(r.approverGroups)} who did not vote yet can decide.`),
    );
  }
  return card;
}

async function showApprovals() {
  const { approvals } = await api('/v1/approvals?status=pending');
  const body = approvals.length
    ? approvals.map((r) => approvalCard(r, false))
    : [h('p', {}, 'Nothing is waiting for a decision.')];
  if (main.dataset.route === 'approvals' && main.dataset.count === String(approvals.length)) {
    // A refresh with the same count: update in place without moving focus.
    main.replaceChildren(main.firstElementChild, ...body);
    return;
  }
  if (main.dataset.route === 'approvals' && main.dataset.count !== undefined) {
    announce(`${approvals.length} pending approval${approvals.length === 1 ? '' : 's'}`);
    main.replaceChildren(main.firstElementChild, ...body);
  } else {
    page('Pending approvals', ...body);
  }
  main.dataset.count = String(approvals.length);
}

async function showApproval(id) {
  const r = await api(`/v1/approvals/${encodeURIComponent(id)}`);
  const refresh = main.dataset.route === `approval:${id}`;
  if (refresh && main.dataset.status === r.status) return;
  if (refresh) announce(`The request is now ${r.status}.`);
  main.dataset.status = r.status;
  page(r.kind === 'access' ? 'Access request' : 'Held statement', approvalCard(r, true));
}

const dialog = document.getElementById('decide');
const form = document.getElementById('decide-form');

function openDecision(r, verdict, button) {
  state.decision = { id: r.id, verdict, maxMinutes: Math.floor(r.maxWindowMs / 60000) };
  state.returnFocus = button;
  document.getElementById('decide-title').textContent =
    verdict === 'approve' ? 'Approve this request' : 'Deny this request';
  document.getElementById('decide-summary').textContent =
    `${who(r.requester)} on ${r.connection}: ${r.command || r.reason || ''}`;
  document.getElementById('scope-fields').hidden = verdict !== 'approve' || r.kind === 'access';
  const minutes = document.getElementById('minutes');
  minutes.max = String(Math.max(1, state.decision.maxMinutes));
  document.getElementById('decide-error').textContent = '';
  const confirm = document.getElementById('decide-confirm');
  confirm.textContent = verdict === 'approve' ? 'Approve' : 'Deny';
  confirm.className = verdict;
  form.reset();
  dialog.showModal();
  document.getElementById('justification').focus();
}

function closeDecision() {
  dialog.close();
  if (state.returnFocus && document.contains(state.returnFocus)) state.returnFocus.focus();
}

document.getElementById('decide-cancel').addEventListener('click', closeDecision);
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const d = state.decision;
  const justification = form.justification.value.trim();
  const error = document.getElementById('decide-error');
  if (!justification) {
    error.textContent = 'A justification is required.';
    form.justification.focus();
    return;
  }
  const body = { verdict: d.verdict, justification, scope: 'once' };
  if (d.verdict === 'approve' && form.scope.value === 'window') {
    body.scope = 'window';
    body.windowMs = Math.min(Number(form.minutes.value), d.maxMinutes) * 60000;
  }
  try {
    const r = await api(`/v1/approvals/${encodeURIComponent(d.id)}/decision`, { method: 'POST', body });
    dialog.close();
    main.dataset.status = r.status;
    page('Held statement', approvalCard(r, true));
    announce(
      r.status === 'pending'
        ? 'Your approval is recorded; more approvers are needed.'
        : `Request ${r.status}.`,
    );
  } catch (err) {
    error.textContent = err.message;
  }
});

Object.assign(globalThis, { showApprovals, showApproval });
