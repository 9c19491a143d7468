/**
 * The frame every page of the web view shares: navigation, the instant the page was read
 * at, and the stylesheet lethe serves itself. The login page has no navigation and shows
 * nothing from the store.
 */
import { html, type Html } from './html.js';
import type { UiView } from './context.js';

export const NAV: readonly (readonly [path: string, label: string])[] = [
  ['/ui', 'Overview'],
  ['/ui/audit', 'Audit log'],
  ['/ui/runs', 'Runs'],
  ['/ui/report', 'Report'],
  ['/ui/holds', 'Holds'],
  ['/ui/requests', 'Requests'],
  ['/ui/plans', 'Plans'],
  ['/ui/chain', 'Chain'],
  ['/ui/subject', 'Erasure record'],
];

function doc(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · lethe</title><link rel="stylesheet" href="/ui/ui.css"></head>
<body>
${body}
</body></html>
`.text;
}

/** A page of the view: `here` is the nav entry it belongs to; `loggedIn` shows the log-out link. */
export function page(view: UiView, o: { title: string; here: string; body: Html; loggedIn: boolean }): string {
  const nav = NAV.map(([path, label]) => html`<a href="${path}"${path === o.here ? html` class="here" aria-current="page"` : ''}>${label}</a>`);
  const clock = html`now ${view.now.toISOString()} (${view.injected ? 'injected with --now' : "the store's clock"})`;
  return doc(
    o.title,
    html`<header><span class="brand">lethe</span><nav>${nav}</nav><span class="clock">${clock}${o.loggedIn ? html` · <a href="/ui/logout">log out</a>` : ''}</span></header>
<main>
${o.body}
</main>`,
  );
}

/** The page a request without the token gets: the login form and nothing from the store. */
export function loginPage(o: { next: string; message: string | null }): string {
  return doc(
    'Log in',
    html`<main><div class="login">
<h1>lethe</h1>
<p>This view is protected by a token (LETHE_UI_TOKEN). Enter it to read the audit log, runs, report, holds and chain status.</p>
${o.message ? html`<p class="message" role="alert">${o.message}</p>` : ''}
<form method="post" action="/ui/login">
<input type="hidden" name="next" value="${o.next}">
<label for="token">Token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form>
<p class="muted">Scripts can send <code>Authorization: Bearer &lt;token&gt;</code> instead.</p>
</div></main>`,
  );
}

/** Bad input (400) or a failure (500), on the page it happened on. */
export function problemBody(title: string, here: string, message: string): Html {
  return html`<h1>${title}</h1>
<p class="message" role="alert">${message}</p>
<p><a href="${here}">Back to ${title.toLowerCase()}</a></p>`;
}
