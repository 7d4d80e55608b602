import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { esc, pageShell } from './page-shell.ts';

const assets = join(import.meta.dirname, 'assets');
const SCRIPT = readFileSync(join(assets, 'console.js'), 'utf8');
const STYLE = readFileSync(join(assets, 'console.css'), 'utf8');

const STATES = ['', 'queued', 'rendering', 'rendered', 'done', 'failed', 'cancelled'];

/** The fax search: a plain GET form, so a search is a link that can be bookmarked and shared. */
function faxSearchForm(): string {
  const field = (name: string, label: string, type = 'text', extra = '') => `<div class="field"><label for="q-${name}">${label}</label><input id="q-${name}" name="${name}" type="${type}"${extra}></div>`;
  return `<form id="search" class="search" method="get" action="/ui/" role="search" aria-label="Search faxes">
${field('number', 'Fax number', 'search', ' inputmode="tel" autocomplete="off"')}
${field('sender', 'Sender', 'search', ' autocomplete="off"')}
<div class="field"><label for="q-state">State</label><select id="q-state" name="state">${STATES.map((s) => `<option value="${s}">${s || 'any'}</option>`).join('')}</select></div>
${field('from', 'From date', 'date')}
${field('to', 'To date', 'date')}
<div class="field actions"><button type="submit">Search</button></div>
</form>
<div class="table-wrap"><table id="faxes"><caption class="visually-hidden">Faxes, newest first</caption>
<thead><tr><th scope="col">Fax</th><th scope="col">Created</th><th scope="col">State</th><th scope="col">Sender</th><th scope="col">To</th><th scope="col">Subject</th></tr></thead><tbody></tbody></table></div>
<p><a id="next" hidden href="#">Older faxes</a></p>`;
}

/**
 * The directory's routes (docs/inbound.md, "Routing"): a fax not claimed by a DID or mailbox goes
 * to the first route whose conditions all match, so the order is shown and an added route may be
 * placed anywhere in it. The file's own validation (libs/directory) judges each edit.
 */
function routesSection(): string {
  const field = (name: string, label: string, help: string, extra = '') =>
    `<div class="field"><label for="r-${name}">${label}</label><input id="r-${name}" name="${name}" aria-describedby="r-${name}-help"${extra}><small id="r-${name}-help">${help}</small></div>`;
  return `<h2 id="routes-title">Routes</h2>
<p>Faxes that no DID or mailbox claims go to the first route whose conditions all match.</p>
<div class="table-wrap"><table id="routes" aria-labelledby="routes-title"><caption class="visually-hidden">Routes, in the order they are tried</caption>
<thead><tr><th scope="col">Order</th><th scope="col">Matches</th><th scope="col">User</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
<form id="route-form" class="edit" hidden aria-labelledby="route-form-title">
<h3 id="route-form-title">Add a route</h3>
${field('csid', 'Sender CSID', 'A regular expression on the sender\'s station id, any case.', ' autocomplete="off"')}
${field('calling', 'Calling number', 'Digits with * for any digits, or /regex/.', ' inputmode="tel" autocomplete="off"')}
${field('pool', 'Pool', 'A line pool name.', ' autocomplete="off"')}
${field('line', 'Line', 'pool/node/n; * matches any part.', ' autocomplete="off"')}
<div class="field"><label for="r-user">Route to user</label><select id="r-user" name="user" required></select></div>
${field('position', 'Position', 'Where in the order (0 is first); empty puts it last.', ' type="number" min="0" step="1"')}
<div id="route-errors" role="alert"></div>
<div class="field actions"><button type="submit">Add route</button> <button type="button" id="route-cancel">Cancel</button></div>
</form>
<p><button type="button" id="route-add">Add a route</button></p>`;
}

/**
 * The console pages (issue 15) under /ui, for the console admin: sent faxes with search, one
 * fax (timeline, attempts, thumbnails, Cancel and Resend), received faxes with their routing,
 * lines, the directory's users and routes (editable) and the runtime settings. Registered in the admin
 * scope, behind the console's basic auth and cross-site guard.
 */
export function registerConsolePages(app: FastifyInstance) {
  const html = (body: string) => (_req: unknown, reply: import('fastify').FastifyReply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  app.get('/ui', (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui/', html(pageShell('faxes', 'Sent faxes', faxSearchForm())));
  app.get<{ Params: { id: string } }>('/ui/faxes/:id', (req, reply) => {
    const id = req.params.id;
    if (!/^fx[0-9a-z]{10,40}$/.test(id)) return reply.code(404).type('text/html; charset=utf-8').send(pageShell('fax', 'No such fax', `<p>"${esc(id)}" is not a fax id. <a href="/ui/">Back to the list</a>.</p>`));
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(pageShell('fax', `Fax ${id}`, `<div id="fax" aria-busy="true"></div>`, { id }));
  });
  app.get('/ui/inbound', html(pageShell('inbound', 'Received faxes', `<div class="table-wrap"><table id="inbound"><caption class="visually-hidden">Received faxes, newest first</caption>
<thead><tr><th scope="col">Fax</th><th scope="col">Received</th><th scope="col">From</th><th scope="col">To (DID)</th><th scope="col">Pages</th><th scope="col">Routed to</th><th scope="col">State</th></tr></thead><tbody></tbody></table></div>`)));
  app.get('/ui/lines', html(pageShell('lines', 'Lines', `<p>Updated every 5 seconds.</p><div id="lines"></div>`)));
  app.get('/ui/directory', html(pageShell('directory', 'Directory', `<div class="table-wrap"><table id="users"><caption>Users who receive faxes</caption>
<thead><tr><th scope="col">User</th><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">DIDs</th><th scope="col">Format</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
<form id="user-form" class="edit" hidden aria-labelledby="user-form-title">
<h2 id="user-form-title">Edit user</h2>
<div class="field"><label for="u-id">User id</label><input id="u-id" name="id" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}"></div>
<div class="field"><label for="u-name">Name</label><input id="u-name" name="name" maxlength="200"></div>
<div class="field"><label for="u-emails">E-mail addresses</label><input id="u-emails" name="emails" required aria-describedby="u-emails-help"><small id="u-emails-help">Comma-separated.</small></div>
<div class="field"><label for="u-dids">DIDs</label><input id="u-dids" name="dids" inputmode="tel" aria-describedby="u-dids-help"><small id="u-dids-help">Fax numbers routed to this user, comma-separated.</small></div>
<div class="field"><label for="u-format">Format</label><select id="u-format" name="format"><option>pdf</option><option>tiff</option><option>both</option></select></div>
<div id="user-errors" role="alert"></div>
<div class="field actions"><button type="submit">Save</button> <button type="button" id="user-cancel">Cancel</button></div>
</form>
<p><button type="button" id="user-add">Add a user</button></p>
${routesSection()}`)));
  app.get('/ui/settings', html(pageShell('settings', 'Settings', `<div id="settings"></div>`)));
  app.get('/ui/assets/console.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(SCRIPT));
  app.get('/ui/assets/console.css', (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(STYLE));
}
