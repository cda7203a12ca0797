// The console's router and sign-in; runs last (see ui.js).

async function route() {
  clearInterval(state.timer);
  const [path, query] = (location.hash.slice(1) || '/approvals').split('?');
  const parts = path.split('/').filter(Boolean);
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${parts[0]}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let key = parts[0] || 'approvals';
  let show;
  if (parts[0] === 'approvals' && parts[1]) {
    key = `approval:${parts[1]}`;
    show = () => showApproval(parts[1]);
  } else if (parts[0] === 'sessions') show = showSessions;
  else if (parts[0] === 'audit') show = () => showAudit(new URLSearchParams(query || ''));
  else if (parts[0] === 'recordings' && parts[1]) show = () => showRecording(parts[1]);
  else if (parts[0] === 'recordings') show = showRecordings;
  else show = showApprovals;
  delete main.dataset.count;
  delete main.dataset.status;
  main.dataset.route = '';
  const run = () =>
    show().then(
      () => {
        main.dataset.route = key;
      },
      (err) => {
        if (err.status === 401) return signIn();
        clearInterval(state.timer);
        page('Something went wrong', h('p', { role: 'alert' }, err.message));
      },
    );
  await run();
  // Pending requests change under the reviewer's eyes: poll the views that show them.
  if (key === 'approvals' || key.startsWith('approval:')) state.timer = setInterval(run, 3000);
}

function signIn() {
  clearInterval(state.timer);
  const ret = encodeURIComponent(location.hash || '#/approvals');
  page(
    'Sign in',
    h('p', {}, 'Reviewers sign in with the organisation’s identity provider.'),
    h('p', {}, h('a', { class: 'button', href: `/console/login?return=${ret}`, id: 'sign-in' }, 'Sign in')),
  );
}

async function start() {
  try {
    const s = await api('/console/session');
    state.me = s.principal;
    state.csrf = s.csrf;
  } catch {
    return signIn();
  }
  const out = h('button', { class: 'secondary' }, 'Sign out');
  out.addEventListener('click', async () => {
    await api('/console/logout', { method: 'POST' }).catch(() => undefined);
    location.reload();
  });
  document.getElementById('who').replaceChildren(h('span', {}, `Signed in as ${state.me.subject}`), out);
  window.addEventListener('hashchange', route);
  await route();
}

start();
