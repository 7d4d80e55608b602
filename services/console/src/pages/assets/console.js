// The console pages' script (issue 15): fills each page from the JSON API of the same origin.
// No framework: DOM nodes are built with h(), text always goes in as text (never as HTML).
'use strict';

const $ = (sel) => document.querySelector(sel);

/** An element with attributes (on* are listeners) and children (strings become text). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

function say(text, isError) {
  const s = $('#status');
  s.textContent = text;
  s.className = isError ? 'error' : '';
}

/** A same-origin JSON request; the browser adds the console's basic auth by itself. */
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), 'x-faxgate-console': '1' },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    credentials: 'same-origin',
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { error: text };
  }
  if (!res.ok) {
    // Issues come as zod's (path: an array) or as the directory file's (path: 'routes[0].match.csid').
    const where = (p) => p.field || (Array.isArray(p.path) ? p.path.join('.') : p.path || '');
    const problems = (json.problems || json.issues || []).map((p) => (typeof p === 'string' ? p : where(p) + ': ' + (p.problem || p.message))).join('; ');
    throw new Error((json.error || 'HTTP ' + res.status) + (problems ? ' (' + problems + ')' : ''));
  }
  return json;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '');
const badge = (state) => h('span', { class: 'state state-' + state }, state);
const table = (caption, head, rows) =>
  h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows)));

// ---- sent faxes ------------------------------------------------------------------------
async function faxesPage() {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of q) {
    const field = document.getElementById('q-' + k);
    if (field) field.value = v;
  }
  const params = new URLSearchParams();
  for (const k of ['number', 'sender', 'state', 'cursor']) if (q.get(k)) params.set(k, q.get(k));
  // Dates are whole days: from the start of "from" to the end of "to" (local time).
  if (q.get('from')) params.set('from', new Date(q.get('from') + 'T00:00:00').toISOString());
  if (q.get('to')) params.set('to', new Date(new Date(q.get('to') + 'T00:00:00').getTime() + 86400000).toISOString());
  params.set('limit', '50');
  say('Loading…');
  try {
    const r = await api('GET', '/api/v1/faxes?' + params);
    const body = $('#faxes tbody');
    body.replaceChildren(
      ...r.faxes.map((f) =>
        h('tr', {}, h('td', {}, h('a', { href: '/ui/faxes/' + f.id }, f.id)), h('td', {}, when(f.createdAt)), h('td', {}, badge(f.state)), h('td', {}, f.sender || f.authUser || ''), h('td', {}, (f.numbers || []).join(', ')), h('td', {}, f.subject || '')),
      ),
    );
    say(r.faxes.length ? r.faxes.length + ' fax(es)' + (r.next_cursor ? ', more below' : '') : 'No fax matches.');
    const next = $('#next');
    if (r.next_cursor) {
      const n = new URLSearchParams(q);
      n.set('cursor', r.next_cursor);
      next.href = '?' + n;
      next.hidden = false;
    }
  } catch (e) {
    say('Could not load the faxes: ' + e.message, true);
  }
}

// ---- one fax ---------------------------------------------------------------------------
const OPEN = ['waiting', 'calling', 'retry-wait', 'held'];

function attemptRow(a) {
  return h('tr', {}, h('td', {}, a.attempt), h('td', {}, when(a.startedAt)), h('td', {}, (a.line || '') + (a.device ? ' (' + a.device + (a.deviceIdentity ? ', ' + a.deviceIdentity : '') + ')' : '')), h('td', {}, a.result || (a.endedAt ? '' : 'on the line')), h('td', {}, a.pagesSent ?? ''), h('td', {}, a.remoteId || ''), h('td', {}, a.reason || ''));
}

async function faxPage(done = '') {
  const id = document.body.dataset.id;
  const root = $('#fax');
  say('Loading…');
  let f;
  try {
    f = await api('GET', '/api/v1/faxes/' + id);
  } catch (e) {
    root.removeAttribute('aria-busy');
    return say('Could not load the fax: ' + e.message, true);
  }
  const open = f.recipients.some((r) => OPEN.includes(r.state));
  const act = async (what, button) => {
    button.disabled = true;
    try {
      if (what === 'cancel') {
        await api('POST', '/api/v1/faxes/' + id + '/cancel', { reason: 'cancelled in the console' });
        await faxPage('Cancelled.');
      } else {
        const r = await api('POST', '/api/v1/faxes/' + id + '/resend', {});
        location.assign('/ui/faxes/' + r.id);
      }
    } catch (e) {
      say('Could not ' + what + ': ' + e.message, true);
      button.disabled = false;
    }
  };
  const cancel = h('button', { type: 'button', id: 'cancel', disabled: !open, onclick: (ev) => act('cancel', ev.currentTarget) }, 'Cancel');
  const resend = h('button', { type: 'button', id: 'resend', onclick: (ev) => act('resend', ev.currentTarget) }, 'Resend');
  const pages = Math.max(0, ...f.recipients.map((r) => r.pagesTotal || 0));
  const thumbs = h(
    'ul',
    { class: 'thumbs', 'aria-label': 'Pages' },
    Array.from({ length: pages }, (_, i) => h('li', {}, h('a', { href: '/api/v1/faxes/' + id + '/pages/' + (i + 1) + '.png?dpi=100' }, h('img', { src: '/api/v1/faxes/' + id + '/pages/' + (i + 1) + '.png', alt: 'Page ' + (i + 1), loading: 'lazy', width: 108, height: 140 })))),
  );
  let deliveries = [];
  try {
    deliveries = (await api('GET', '/api/v1/faxes/' + id + '/webhooks')).deliveries;
  } catch {
    deliveries = [];
  }
  root.replaceChildren(
    ...[
    h('dl', { class: 'facts' },
      h('dt', {}, 'State'), h('dd', {}, badge(f.state)),
      h('dt', {}, 'Sender'), h('dd', {}, f.sender || '—', f.authUser ? ' (user ' + f.authUser + ')' : ''),
      h('dt', {}, 'Subject'), h('dd', {}, f.subject || '—'),
      h('dt', {}, 'Created'), h('dd', {}, when(f.createdAt)),
      f.reason || f.error ? [h('dt', {}, 'Why'), h('dd', {}, f.reason || f.error.text)] : []),
    h('p', { class: 'buttons' }, cancel, ' ', resend, ' ', h('a', { href: '/api/v1/faxes/' + id + '/document' }, 'Document (PDF)')),
    h('h2', {}, 'Recipients'),
    f.recipients.map((r) =>
      h('section', { class: 'recipient', 'aria-labelledby': 'r' + r.index },
        h('h3', { id: 'r' + r.index }, r.number + (r.name ? ' — ' + r.name : '')),
        h('p', {}, badge(r.state), ' ', 'pages ' + (r.pagesSent ?? 0) + ' of ' + (r.pagesTotal ?? '?') + ', ' + r.attempts + ' attempt(s)', r.remoteId ? ', answered by "' + r.remoteId + '"' : ''),
        r.reason ? h('p', { class: 'reason' }, r.reason) : false,
        r.attemptsDetail.length ? table('Attempts to ' + r.number, ['#', 'Started', 'Line', 'Result', 'Pages', 'Remote ID', 'Reason'], r.attemptsDetail.map(attemptRow)) : false,
      ),
    ),
    h('h2', {}, 'Pages'),
    pages ? thumbs : h('p', {}, 'Not rendered yet.'),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline' }, f.timeline.map((e) => h('li', {}, h('time', { datetime: e.at }, when(e.at)), ' ', h('strong', {}, e.event), e.recipient !== undefined ? ' (recipient ' + e.recipient + ')' : '', e.detail ? ': ' + e.detail : ''))),
    deliveries.length ? [h('h2', {}, 'Webhook deliveries'), table('Webhook deliveries', ['When', 'Event', 'URL', 'Try', 'Outcome', 'Answer'], deliveries.map((d) => h('tr', {}, h('td', {}, when(d.at)), h('td', {}, d.event), h('td', {}, d.url), h('td', {}, d.attempt), h('td', {}, d.outcome), h('td', {}, d.error || d.status))))] : [],
    ].flat(),
  );
  root.removeAttribute('aria-busy');
  say(done);
}

// ---- received faxes ----------------------------------------------------------------------
async function inboundPage() {
  try {
    const r = await api('GET', '/api/v1/inbound?limit=100');
    $('#inbound tbody').replaceChildren(
      ...r.faxes.map((f) =>
        h('tr', {},
          h('td', {}, h('a', { href: '/api/v1/inbound/' + f.id + '/document' }, f.id)),
          h('td', {}, when(f.receivedAt || f.createdAt)),
          h('td', {}, f.callingNumber || '?', f.csid ? ' "' + f.csid + '"' : ''),
          h('td', {}, f.did),
          h('td', {}, f.pages),
          h('td', {}, f.route ? (f.route.user || 'unaddressed') + ' — ' + f.route.rule + (f.route.detail ? ': ' + f.route.detail : '') : 'not routed yet'),
          h('td', {}, badge(f.state)),
        ),
      ),
    );
    say(r.faxes.length ? '' : 'No received fax.');
  } catch (e) {
    say('Could not load the received faxes: ' + e.message, true);
  }
}

// ---- lines -------------------------------------------------------------------------------
/** A down line says why and since when; a calling line names its call (and where a SIP call stands). */
function lineDetail(l) {
  const since = l.since ? ' since ' + new Date(l.since).toLocaleTimeString() : '';
  if (l.state === 'down') return (l.reason || 'no reason given') + since;
  const media = l.sip && l.sip.media ? ' on ' + (l.sip.media === 't38' ? 'T.38' : 'G.711') : '';
  const sip = !l.sip ? ''
    : l.sip.direction === 'incoming' ? ' (SIP incoming ' + l.sip.state + media + ', from ' + l.sip.remote + ' to ' + (l.sip.did || '?') + ', Call-ID ' + l.sip.callId + ')'
    : ' (SIP ' + l.sip.state + media + ', ' + l.sip.remote + ')';
  if (l.state === 'calling') return (l.callId || '') + sip + since;
  return since.trim();
}

async function linesPage() {
  try {
    const r = await api('GET', '/api/v1/lines');
    const pools = Object.entries(r.pools).map(([name, p]) => h('tr', {}, h('td', {}, name), h('td', {}, p.nodes), h('td', {}, p.lines), h('td', {}, p.calling), h('td', {}, p.down ?? 0)));
    const lines = r.nodes.flatMap((n) =>
      n.lines.map((l) => h('tr', {}, h('td', {}, n.pool), h('td', {}, n.nodeId + (n.draining || n.drainRequested ? ' (draining)' : '')), h('td', {}, (l.line || '') + (l.device ? ' (' + l.device + ')' : '')), h('td', {}, badge(l.state)), h('td', {}, lineDetail(l)))),
    );
    $('#lines').replaceChildren(
      table('Pools', ['Pool', 'Nodes', 'Lines', 'Calling', 'Down'], pools),
      lines.length ? table('Lines', ['Pool', 'Node', 'Line', 'State', 'Detail'], lines) : h('p', {}, 'No node reports its lines.'),
    );
    say('Updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    say('Could not load the lines: ' + e.message, true);
  }
}

// ---- directory ---------------------------------------------------------------------------
/** A route's conditions in words, as docs/inbound.md writes them (csid=^ACME, calling=+1212*). */
function describeMatch(m) {
  return Object.entries(m).map(([k, v]) => k + '=' + v).join(', ');
}

async function directoryPage() {
  const form = $('#user-form');
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  let editing;
  const open = (u) => {
    editing = u ? u.id : undefined;
    $('#user-form-title').textContent = u ? 'Edit user ' + u.id : 'Add a user';
    form.id.value = u ? u.id : '';
    form.id.readOnly = !!u;
    form.name.value = (u && u.name) || '';
    form.emails.value = u ? u.emails.join(', ') : '';
    form.dids.value = u ? (u.dids || []).join(', ') : '';
    form.format.value = (u && u.format) || 'pdf';
    $('#user-errors').textContent = '';
    form.hidden = false;
    (u ? form.name : form.id).focus();
  };
  // Each edit says it is done once the tables show it (what a reader, or a test, then sees).
  // A removal is confirmed first: a fax for a removed user's DID goes to the unaddressed mailbox.
  const removeUser = async (u) => {
    if (!confirm('Remove user ' + u.id + '? Faxes to their DIDs will go to the unaddressed mailbox.')) return;
    try {
      await api('DELETE', '/api/v1/users/' + encodeURIComponent(u.id));
      await load();
      say('Removed ' + u.id + '.');
    } catch (e) {
      say('Could not remove ' + u.id + ': ' + e.message, true);
    }
  };
  const removeRoute = async (r) => {
    if (!confirm('Remove route ' + r.index + ' (' + describeMatch(r.match) + ' → ' + r.user + ')?')) return;
    try {
      await api('DELETE', '/api/v1/routes/' + r.index);
      await load();
      say('Removed route ' + r.index + '.');
    } catch (e) {
      say('Could not remove route ' + r.index + ': ' + e.message, true);
    }
  };
  const load = async () => {
    const [r, routes] = await Promise.all([api('GET', '/api/v1/users'), api('GET', '/api/v1/routes')]);
    $('#users tbody').replaceChildren(
      ...r.users.map((u) =>
        h('tr', {}, h('td', {}, u.id), h('td', {}, u.name || ''), h('td', {}, u.emails.join(', ')), h('td', {}, (u.dids || []).join(', ')), h('td', {}, u.format || 'pdf'),
          h('td', { class: 'row-actions' }, h('button', { type: 'button', 'aria-label': 'Edit ' + u.id, onclick: () => open(u) }, 'Edit'), ' ', h('button', { type: 'button', class: 'danger', 'aria-label': 'Remove ' + u.id, onclick: () => removeUser(u) }, 'Remove'))),
      ),
    );
    $('#routes tbody').replaceChildren(
      ...routes.routes.map((rt) =>
        h('tr', {}, h('td', {}, rt.index), h('td', {}, describeMatch(rt.match)), h('td', {}, rt.user), h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': 'Remove route ' + rt.index, onclick: () => removeRoute(rt) }, 'Remove'))),
      ),
    );
    if (!routes.routes.length) $('#routes tbody').append(h('tr', {}, h('td', { colspan: 4 }, 'No route: faxes no DID claims go to the unaddressed mailbox.')));
    const userSelect = $('#r-user');
    const chosen = userSelect.value;
    userSelect.replaceChildren(...r.users.map((u) => h('option', { value: u.id }, u.id + (u.name ? ' (' + u.name + ')' : ''))));
    if (chosen) userSelect.value = chosen;
  };
  const rform = $('#route-form');
  rform.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const match = {};
    for (const k of ['csid', 'calling', 'pool', 'line']) if (rform[k].value.trim()) match[k] = rform[k].value.trim();
    const body = { match, user: rform.user.value };
    if (rform.position.value !== '') body.position = Number(rform.position.value);
    try {
      await api('POST', '/api/v1/routes', body);
      rform.hidden = true;
      rform.reset();
      await load();
      say('Added the route to ' + body.user + '.');
    } catch (e) {
      $('#route-errors').textContent = e.message;
    }
  });
  $('#route-cancel').addEventListener('click', () => (rform.hidden = true));
  $('#route-add').addEventListener('click', () => {
    $('#route-errors').textContent = '';
    rform.hidden = false;
    rform.csid.focus();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const user = { id: form.id.value.trim(), emails: list(form.emails.value), dids: list(form.dids.value), format: form.format.value };
    if (form.name.value.trim()) user.name = form.name.value.trim();
    try {
      if (editing) await api('PUT', '/api/v1/users/' + encodeURIComponent(editing), user);
      else await api('POST', '/api/v1/users', user);
      form.hidden = true;
      await load();
      say('Saved ' + user.id + '.');
    } catch (e) {
      $('#user-errors').textContent = e.message;
    }
  });
  $('#user-cancel').addEventListener('click', () => (form.hidden = true));
  $('#user-add').addEventListener('click', () => open());
  try {
    await load();
  } catch (e) {
    say('Could not load the directory: ' + e.message, true);
  }
}

// ---- settings ----------------------------------------------------------------------------
// Runtime settings (issue 20): each one can be changed here; the change is made against the
// version shown, so an edit made meanwhile by someone else is refused (409) and shown.
async function settingsPage() {
  let current;
  const form = h('form', { id: 'setting-form', hidden: true, 'aria-labelledby': 'setting-form-title' },
    h('h2', { id: 'setting-form-title' }, 'Change a setting'),
    h('p', {}, h('code', { id: 'setting-name' })),
    h('label', { for: 's-value' }, 'New value'),
    h('input', { id: 's-value', name: 'value', autocomplete: 'off' }),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 's-unset', name: 'unset' }), ' Back to the environment\'s value'),
    h('label', { for: 's-reason' }, 'Why (kept in the history)'),
    h('input', { id: 's-reason', name: 'reason', required: true, autocomplete: 'off' }),
    h('p', { id: 'setting-errors', class: 'error', role: 'alert' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save'), h('button', { type: 'button', id: 'setting-cancel' }, 'Cancel')),
  );
  // Cover templates (FAXGATE_COVER_TEMPLATES: name → HTML) are changed one template at a time;
  // the API folds "FAXGATE_COVER_TEMPLATES.<name>" into the setting and checks it whole.
  const TEMPLATES = 'FAXGATE_COVER_TEMPLATES';
  const templatesOf = (s) => {
    try {
      const v = JSON.parse(s.value || '{}');
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    } catch {
      return {};
    }
  };
  const tform = h('form', { id: 'template-form', hidden: true, 'aria-labelledby': 'template-form-title' },
    h('h2', { id: 'template-form-title' }, 'Change a cover template'),
    h('label', { for: 't-name' }, 'Template name'),
    h('input', { id: 't-name', name: 'tname', required: true, autocomplete: 'off', list: 't-names' }),
    h('datalist', { id: 't-names' }),
    h('label', { for: 't-html' }, 'Template HTML'),
    h('textarea', { id: 't-html', name: 'html', rows: 12, spellcheck: 'false' }),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 't-remove', name: 'tremove' }), ' Remove this template (a file of the same name in the template directory is used again)'),
    h('label', { for: 't-reason' }, 'Why the template changes (kept in the history)'),
    h('input', { id: 't-reason', name: 'treason', required: true, autocomplete: 'off' }),
    h('p', { id: 'template-errors', class: 'error', role: 'alert' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save template'), h('button', { type: 'button', id: 'template-cancel' }, 'Cancel')),
  );
  let templates = {};
  const openTemplates = (s) => {
    templates = templatesOf(s);
    $('#t-names').replaceChildren(...Object.keys(templates).map((n) => h('option', { value: n })));
    for (const f of ['tname', 'html', 'treason']) tform[f].value = '';
    tform.tremove.checked = false;
    $('#template-errors').textContent = '';
    form.hidden = true;
    tform.hidden = false;
    tform.tname.focus();
  };
  // A stored template's name fills in its HTML, to be edited.
  tform.tname.addEventListener('change', () => {
    if (templates[tform.tname.value] !== undefined) tform.html.value = templates[tform.tname.value];
  });
  tform.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const saved = await api('PATCH', '/api/v1/settings', { version: current.version, set: { [TEMPLATES + '.' + tform.tname.value]: tform.tremove.checked ? null : tform.html.value }, reason: tform.treason.value });
      tform.hidden = true;
      await load();
      say('Saved as version ' + saved.version + '; every process takes it up within seconds.');
    } catch (e) {
      $('#template-errors').textContent = e.message;
    }
  });
  let editing;
  const open = (s) => {
    if (s.name === TEMPLATES) return openTemplates(s);
    tform.hidden = true;
    editing = s.name;
    $('#setting-name').textContent = s.name;
    form.value.value = s.value || '';
    form.unset.checked = false;
    form.reason.value = '';
    $('#setting-errors').textContent = '';
    form.hidden = false;
    form.value.focus();
  };
  const load = async () => {
    current = await api('GET', '/api/v1/settings');
    $('#settings-body').replaceChildren(
      h('p', { id: 'settings-version' }, 'Version ' + current.version + (current.at ? ', ' + when(current.at) : '') + (current.by ? ' by ' + current.by : '') + (current.reason ? ': ' + current.reason : '')),
      table('Runtime settings', ['Setting', 'Group', 'Value', 'From', ''], current.settings.map((s) => h('tr', {}, h('td', {}, h('code', {}, s.name)), h('td', {}, s.group), h('td', {}, s.name === TEMPLATES ? Object.keys(templatesOf(s)).join(', ') || 'none stored' : s.value || '—'), h('td', {}, s.from), h('td', {}, h('button', { type: 'button', 'aria-label': 'Change ' + s.name, onclick: () => open(s) }, 'Change'))))),
      table('Processes and the settings version they run', ['Process', 'Roles', 'Version', 'Since'], (current.processes || []).map((p) => h('tr', {}, h('td', {}, p.process || ''), h('td', {}, (p.roles || []).join(', ')), h('td', {}, p.version), h('td', {}, when(p.at))))),
    );
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const saved = await api('PATCH', '/api/v1/settings', { version: current.version, set: { [editing]: form.unset.checked ? null : form.value.value }, reason: form.reason.value });
      form.hidden = true;
      // The table is current before the page says so.
      await load();
      say('Saved as version ' + saved.version + '; every process takes it up within seconds.');
    } catch (e) {
      $('#setting-errors').textContent = e.message;
    }
  });
  $('#settings').replaceChildren(h('div', { id: 'settings-body' }), form, tform);
  $('#setting-cancel').addEventListener('click', () => (form.hidden = true));
  $('#template-cancel').addEventListener('click', () => (tform.hidden = true));
  try {
    await load();
  } catch (e) {
    say('Could not load the settings: ' + e.message, true);
  }
}

const PAGES = { faxes: faxesPage, fax: faxPage, inbound: inboundPage, lines: linesPage, directory: directoryPage, settings: settingsPage };
document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  PAGES[page]?.();
  if (page === 'lines') setInterval(linesPage, 5000);
});
