/** The filter forms: plain GET forms, so every filtered view is a link that can be shared or bookmarked. */
import { html, type Html } from './html.js';

/** A labelled select whose first option, "any", sends an empty value. */
export function selectField(name: string, label: string, values: readonly string[], selected: string | undefined): Html {
  const opts = values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`);
  return html`<label>${label}<select name="${name}"><option value="">any</option>${opts}</select></label>`;
}

/** A labelled text field. */
export function textField(name: string, label: string, value: string | undefined, placeholder = ''): Html {
  return html`<label>${label}<input type="text" name="${name}" value="${value ?? ''}" placeholder="${placeholder}"></label>`;
}

/** A GET form to `action` with the fields, a submit button and a link that clears them. */
export function filterForm(action: string, fields: readonly Html[], submit = 'Filter'): Html {
  return html`<form class="filters" method="get" action="${action}">${fields}<button type="submit">${submit}</button><a href="${action}">clear</a></form>`;
}
