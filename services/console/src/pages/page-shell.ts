/** The console's pages: their paths, titles and the nav that links them (in this order). */
export const CONSOLE_PAGES = [
  { page: 'faxes', path: '/ui/', title: 'Sent faxes' },
  { page: 'inbound', path: '/ui/inbound', title: 'Received faxes' },
  { page: 'lines', path: '/ui/lines', title: 'Lines' },
  { page: 'directory', path: '/ui/directory', title: 'Directory' },
  { page: 'settings', path: '/ui/settings', title: 'Settings' },
] as const;

export type ConsolePage = (typeof CONSOLE_PAGES)[number]['page'] | 'fax';

/** HTML-escapes text for an element or a quoted attribute. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * One page: a server-rendered frame (skip link, nav, headings, the forms that work without
 * script) and `main`, which the console's small script fills from the JSON API of the same
 * origin. The script's POSTs are same-origin fetches with a JSON body, which the cross-site guard
 * lets through and no foreign page can make.
 */
export function pageShell(page: ConsolePage, title: string, body: string, data: Record<string, string> = {}): string {
  const nav = CONSOLE_PAGES.map((p) => `<li><a href="${p.path}"${p.page === page ? ' aria-current="page"' : ''}>${esc(p.title)}</a></li>`).join('');
  const attrs = Object.entries({ page, ...data }).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · faxgate</title>
<link rel="stylesheet" href="/ui/assets/console.css">
<script src="/ui/assets/console.js" defer></script>
</head>
<body${attrs}>
<a class="skip" href="#main">Skip to content</a>
<header>
<nav aria-label="Console"><span class="brand">faxgate</span><ul>${nav}<li><a href="/queues">Queues</a></li></ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>${esc(title)}</h1>
<p id="status" role="status" aria-live="polite"></p>
${body}
</main>
</body>
</html>`;
}
