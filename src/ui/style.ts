/**
 * The web view's only stylesheet, served by lethe at /ui/ui.css. A TS constant so `tsc`
 * ships it with the code: nothing to copy, build or fetch. It is a file rather than an
 * inline <style> because the pages' Content-Security-Policy (default-src 'self') refuses
 * inline styles.
 */
export const UI_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --head: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); margin: 0; }
header { background: #24292f; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; align-items: baseline; gap: .4rem 1.2rem; }
header .brand { font-weight: 700; }
header nav a { color: #fff; margin-right: .9rem; text-decoration: none; }
header nav a.here { text-decoration: underline; }
header .clock { margin-left: auto; color: #d0d7de; font-size: 12px; }
header .clock a { color: #d0d7de; }
main { padding: 1rem; max-width: 110rem; }
h1 { font-size: 1.35rem; margin: .2rem 0 .6rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash, .keys { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.meta, .muted { color: var(--muted); }
/* Instants and short hashes read best on one line. */
td.t, .short, #record td:nth-child(2) { white-space: nowrap; word-break: normal; }
.ok { color: #1a7f37; font-weight: 600; }
.bad { color: #cf222e; font-weight: 600; }
.warn { color: #9a6700; font-weight: 600; }
tr.overdue td { background: #ffebe9; }
.message { border: 1px solid #cf222e; background: #ffebe9; padding: .6rem .8rem; margin: .6rem 0; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: .4rem 0 1rem; }
.card { border: 1px solid var(--line); padding: .5rem .8rem; min-width: 12rem; }
.card .n { font-size: 1.4rem; font-weight: 600; }
form.filters { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: end; margin: .4rem 0 .8rem; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; padding: .2rem .35rem; }
.pager { display: flex; gap: 1rem; margin: .4rem 0; }
.login { max-width: 26rem; margin: 4rem auto; border: 1px solid var(--line); padding: 1rem 1.4rem; }
.login input[type=password] { width: 100%; margin: .3rem 0 .6rem; }
@media print { header { display: none; } main { padding: 0; } }
`;
