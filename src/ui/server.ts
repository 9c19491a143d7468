/**
 * The web view at /ui: read-only pages over the audit log, runs, report, holds, data-subject
 * requests, plans, chain and erasure records, served by the daemon on its HTTP port. Every response forbids framing,
 * sniffing, referrers and caching; every page is rendered on the server with every value
 * escaped, and needs no script. POST is taken at /ui/login only; all else is GET or HEAD.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUBJECT_CSS, subjectHtml } from '../audit/subject-html.js';
import { UsageError, safeErrorMessage } from '../errors.js';
import { authorized, clearedCookie, isToken, sessionCookie } from './auth.js';
import { viewMaker, type PageContent, type UiDeps, type UiView } from './context.js';
import { loginPage, page, problemBody } from './layout.js';
import { subjectParam } from './params.js';
import { auditPage } from './pages/audit.js';
import { chainPage } from './pages/chain.js';
import { holdsPage } from './pages/holds.js';
import { overviewPage } from './pages/overview.js';
import { plansPage } from './pages/plans.js';
import { reportPage } from './pages/report.js';
import { requestsPage } from './pages/requests.js';
import { runsPage } from './pages/runs.js';
import { subjectCsv, subjectFileName, subjectPage, subjectRecord } from './pages/subject.js';
import { UI_CSS } from './style.js';

const CSP = "default-src 'self'; frame-ancestors 'none'";
/** The printable record keeps its own inline stylesheet (it is also a file a DPO saves); that one stylesheet is allowed by its hash. */
const PRINTABLE_CSP = `default-src 'self'; style-src 'sha256-${createHash('sha256').update(SUBJECT_CSS).digest('base64')}'; frame-ancestors 'none'`;

const HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const HTML_TYPE = 'text/html; charset=utf-8';
/** A login form's body is a token and a path; anything longer is not one. */
const MAX_FORM_BYTES = 8 * 1024;

interface Route {
  title: string;
  /** The nav entry the page sits under. */
  here: string;
  render: (view: UiView, params: URLSearchParams) => Promise<PageContent>;
}

const PAGES: Record<string, Route> = {
  '/ui': { title: 'Overview', here: '/ui', render: (v) => overviewPage(v) },
  '/ui/audit': { title: 'Audit log', here: '/ui/audit', render: auditPage },
  '/ui/runs': { title: 'Runs', here: '/ui/runs', render: runsPage },
  '/ui/report': { title: 'Report', here: '/ui/report', render: reportPage },
  '/ui/holds': { title: 'Holds', here: '/ui/holds', render: (v) => holdsPage(v) },
  '/ui/requests': { title: 'Requests', here: '/ui/requests', render: requestsPage },
  '/ui/plans': { title: 'Plans', here: '/ui/plans', render: (v) => plansPage(v) },
  '/ui/chain': { title: 'Chain', here: '/ui/chain', render: (v) => chainPage(v) },
  '/ui/subject': { title: 'Erasure record', here: '/ui/subject', render: async (v, p) => subjectPage(v, p, await subjectParam(v, p)) },
};

/** The erasure record as a file: the printable page, JSON (as `lethe audit --subject --json`) or CSV. */
const DOWNLOADS: Record<string, { type: string; ext: string | null; body: (doc: Awaited<ReturnType<typeof subjectRecord>>) => string }> = {
  '/ui/subject.html': { type: HTML_TYPE, ext: null, body: subjectHtml },
  '/ui/subject.json': { type: 'application/json; charset=utf-8', ext: 'json', body: (doc) => JSON.stringify(doc, null, 2) + '\n' },
  '/ui/subject.csv': { type: 'text/csv; charset=utf-8', ext: 'csv', body: subjectCsv },
};

/** Whether `path` is a page of the web view (the HTTP server sends these here). */
export function isUiPath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/');
}

/** The request handler for /ui and /ui/*; made once per server, it never throws. */
export function createUiHandler(deps: UiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const makeView = viewMaker(deps);
  const token = deps.token || null;
  return (req, res) => {
    handle(req, res, deps, token, makeView).catch((err: unknown) => {
      const message = safeErrorMessage(deps.adapter, err);
      deps.log?.error({ event: 'ui:error', path: (req.url ?? '').split('?')[0], error: message }, 'the web view could not serve a page');
      if (res.headersSent) return void res.end();
      res.writeHead(500, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`lethe could not serve this page: ${message}\n`);
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: UiDeps, token: string | null, makeView: () => Promise<UiView>): Promise<void> {
  const url = new URL(req.url ?? '/ui', 'http://lethe.invalid');
  const path = url.pathname.length > 3 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const method = req.method ?? 'GET';
  const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...HEADERS, 'content-type': type, ...extra });
    res.end(method === 'HEAD' ? undefined : body);
  };
  const redirect = (to: string, extra: Record<string, string> = {}) => send(303, 'text/plain; charset=utf-8', `see ${to}\n`, { location: to, ...extra });

  if (path === '/ui/login') {
    if (method === 'POST') return login(req, token, send, redirect);
    if (method !== 'GET' && method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD, POST' });
    if (!token) return redirect('/ui');
    return send(200, HTML_TYPE, loginPage({ next: safeNext(url.searchParams.get('next')), message: null }));
  }
  if (method !== 'GET' && method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'method not allowed: the web view is read-only\n', { allow: 'GET, HEAD' });
  // The stylesheet holds nothing from the store, and the login page needs it.
  if (path === '/ui/ui.css') return send(200, 'text/css; charset=utf-8', UI_CSS);
  if (path === '/ui/logout') return redirect(token ? '/ui/login' : '/ui', { 'set-cookie': clearedCookie() });
  // Wall time, not the injected now: a session lasts real hours.
  if (token && !authorized(req, token, Date.now())) {
    return send(401, HTML_TYPE, loginPage({ next: safeNext(path + url.search), message: null }), { 'www-authenticate': 'Bearer realm="lethe"' });
  }

  const view = await makeView();
  const loggedIn = token !== null;
  const render = (status: number, route: Pick<Route, 'here'>, content: PageContent) => send(status, HTML_TYPE, page(view, { title: content.title, here: route.here, body: content.body, loggedIn }));
  const download = DOWNLOADS[path];
  const route: Route | undefined = PAGES[path] ?? (download ? PAGES['/ui/subject'] : undefined);
  if (!route) return render(404, { here: '' }, { title: 'Not found', body: problemBody('Not found', '/ui', `There is no page ${path} in the web view.`) });
  try {
    if (download) {
      const subject = await subjectParam(view, url.searchParams);
      if (!subject) throw new UsageError('subject: name a row as table:key (e.g. accounts:42)');
      const doc = await subjectRecord(view, subject);
      const extra: Record<string, string> = download.ext ? { 'content-disposition': `attachment; filename="${subjectFileName(doc, download.ext)}"` } : { 'content-security-policy': PRINTABLE_CSP };
      return send(200, download.type, download.body(doc), extra);
    }
    return render(200, route, await route.render(view, url.searchParams));
  } catch (err) {
    // Bad input is the reader's to fix: say what, on the page, with 400. Nothing else is shown but a safe message.
    if (err instanceof UsageError) return render(400, route, { title: route.title, body: problemBody(route.title, route.here, err.message) });
    const message = safeErrorMessage(view.adapter, err);
    deps.log?.error({ event: 'ui:error', path, error: message }, 'the web view could not serve a page');
    return render(500, route, { title: route.title, body: problemBody(route.title, route.here, `lethe could not read this page: ${message}`) });
  }
}

/** POST /ui/login: the token from the form sets the session cookie; a wrong one gets the form again. */
async function login(
  req: IncomingMessage,
  token: string | null,
  send: (status: number, type: string, body: string, extra?: Record<string, string>) => void,
  redirect: (to: string, extra?: Record<string, string>) => void,
): Promise<void> {
  const body = await readForm(req);
  if (body === null) return send(413, 'text/plain; charset=utf-8', 'the login form is small; this body is not one\n', { connection: 'close' });
  const form = new URLSearchParams(body);
  const next = safeNext(form.get('next'));
  if (!token) return redirect(next);
  if (!isToken(token, form.get('token') ?? '')) return send(401, HTML_TYPE, loginPage({ next, message: 'That is not the token. Try again.' }), { 'www-authenticate': 'Bearer realm="lethe"' });
  return redirect(next, { 'set-cookie': sessionCookie(token, Date.now()) });
}

/** The request body as text, or null when it outgrows a login form. */
function readForm(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.pause();
        resolve(null);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Where to go after logging in: a page of the view, never another site (`//evil`) or the login itself. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !/^\/ui(?:[/?]|$)/.test(next) || !/^[\x21-\x7e]+$/.test(next) || next.includes('\\') || next.startsWith('/ui/login') || next.startsWith('/ui/logout')) return '/ui';
  return next;
}
