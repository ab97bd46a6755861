/**
 * The frame of jitvend's server-rendered pages: one inline style sheet (allowed by its hash
 * in a strict Content-Security-Policy), no scripts, no external assets, and headers that
 * keep pages out of caches, referrers and frames.
 */
import { createHash } from 'node:crypto';
import { html, raw, type SafeHtml } from './html.ts';

/** An HTTP response, shaped like API Gateway's structured result. */
export interface HtmlResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type Tone = 'info' | 'ok' | 'warn' | 'bad';

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f3f4f6;
  --card: #ffffff; --code: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --info: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5;
  font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 760px; margin: 32px auto; padding: 0 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 28px 32px;
  box-shadow: 0 1px 3px rgba(31, 35, 40, 0.06); }
.brand { margin: 0 0 6px; font-size: 13px; font-weight: 600; letter-spacing: 0.04em; color: var(--muted);
  text-transform: uppercase; }
h1 { margin: 0 0 12px; font-size: 24px; line-height: 1.25; }
h2 { margin: 24px 0 8px; font-size: 15px; }
h2 small { font-weight: normal; color: var(--muted); }
.lead { margin: 0 0 20px; font-size: 16px; }
.banner { border-left: 4px solid var(--info); background: #ddf4ff; border-radius: 6px; padding: 12px 16px;
  margin: 0 0 20px; }
.banner.ok { border-color: var(--ok); background: #dafbe1; }
.banner.bad { border-color: var(--bad); background: #ffebe9; }
.banner.warn { border-color: var(--warn); background: #fff8c5; }
.banner p { margin: 0; }
.banner p + p { margin-top: 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.reason { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--code); border-radius: 6px;
  padding: 10px 14px; margin: 0; }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px;
  margin: 0; overflow: auto; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
ul.approvals { margin: 0; padding-left: 20px; }
form { margin-top: 28px; padding-top: 20px; border-top: 1px solid var(--line); }
label { display: block; font-weight: 600; margin-bottom: 6px; }
label small { font-weight: normal; color: var(--muted); }
textarea { width: 100%; min-height: 72px; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px;
  font: inherit; resize: vertical; }
.actions { display: flex; gap: 12px; margin-top: 16px; flex-wrap: wrap; }
button { font: inherit; font-weight: 600; border: 1px solid transparent; border-radius: 6px; padding: 10px 22px;
  cursor: pointer; }
button.approve { background: var(--ok); color: #ffffff; }
button.deny { background: #ffffff; color: var(--bad); border-color: var(--bad); }
button:focus-visible { outline: 3px solid #54aeff; outline-offset: 2px; }
.note { color: var(--muted); font-size: 13px; margin: 14px 0 0; }
a { color: var(--info); }
footer { color: var(--muted); font-size: 12px; text-align: center; margin: 16px 0 32px; }
`;

const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

/** No scripts, no images, no fonts, no frames; styles only by hash; forms post back here only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
};

export function renderPage(input: { statusCode: number; title: string; content: SafeHtml }): HtmlResponse {
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${input.title} · jitvend</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
<div class="card">
<p class="brand">jitvend · access request</p>
${input.content}
</div>
<footer>jitvend: just-in-time AWS credentials for pipelines</footer>
</main>
</body>
</html>
`;
  return { statusCode: input.statusCode, headers: { ...PAGE_HEADERS }, body: body.toString() };
}

/** A page with one message: errors, used links, requests that are already decided. */
export function messagePage(input: {
  statusCode: number;
  tone: Tone;
  title: string;
  lines: Array<string | SafeHtml>;
  extra?: SafeHtml;
}): HtmlResponse {
  return renderPage({
    statusCode: input.statusCode,
    title: input.title,
    content: html`<h1>${input.title}</h1>
<div class="banner ${input.tone}">${input.lines.map((line) => html`<p>${line}</p>`)}</div>
${input.extra}`,
  });
}
