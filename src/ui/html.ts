/**
 * HTML built by a tagged template that escapes every interpolated value, so a page cannot
 * forget to: only fragments that are themselves `Html` (built here, or wrapped by `raw` from
 * code that escaped its own values, such as subjectBody) pass through as markup.
 */
import { escapeHtml } from '../audit/subject-html.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Markup that is already safe: lethe's own constant text, or a renderer that escapes its values. */
export function raw(text: string): Html {
  return new Html(text);
}

/** `html\`<td>${value}</td>\``: strings and numbers are escaped, Html passes through, arrays are joined, null and false render nothing. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/** A query string from the non-empty values of `params` (for links that keep the filters). */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
