/**
 * `GET /` of the local stack: a page for people trying jitvend. Pending and recent
 * requests with their policy, approvals and audit trail; the outbox (with the approval
 * links); the local IAM revocations and the sessions the STS stand-in issued. Plain
 * server-rendered HTML, no scripts. Credentials never appear here: the page has no
 * access to them (sessions are recorded without key, secret or token).
 */
import { createHash } from 'node:crypto';
import type { ApiResult } from '../functions/http.ts';
import { ID_PATTERN } from '../shared/domain/limits.ts';
import type { RequestStore } from '../shared/domain/ports.ts';
import type { AccessRequest, AuditEvent } from '../shared/domain/types.ts';
import { html, raw, type SafeHtml, safeHttpUrl } from '../shared/web/html.ts';
import { formatDuration, formatInstant, requestFacts, statusWords } from '../shared/web/request-facts.ts';
import type { LocalSessionRevoker } from './iam-stand-in.ts';
import type { Outbox } from './outbox.ts';
import type { LocalCredentialIssuer } from './sts-stand-in.ts';

export interface WebPageDeps {
  store: RequestStore;
  outbox: Outbox;
  iam: LocalSessionRevoker;
  sts: LocalCredentialIssuer;
}

const STYLE = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f3f4f6; --card:#fff; --code:#f6f8fa;
  --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --info:#0969da; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:14px/1.5 -apple-system,"Segoe UI",Roboto,Arial,sans-serif; }
header { background:#24292f; color:#fff; padding:14px 24px; display:flex; gap:24px; align-items:baseline; flex-wrap:wrap; }
header h1 { margin:0; font-size:18px; } header a { color:#c9d1d9; } header small { color:#8c959f; }
main { max-width:1200px; margin:20px auto; padding:0 16px; display:grid; grid-template-columns:minmax(0,1fr); gap:20px; }
section { min-width:0; overflow-x:auto; background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 22px; }
h2 { margin:0 0 12px; font-size:16px; } h3 { margin:16px 0 6px; font-size:14px; }
table { width:100%; border-collapse:collapse; } th,td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.mono, .mono { font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; overflow-wrap:anywhere; word-break:break-all; }
td pre { white-space:pre-wrap; max-width:640px; }
pre { background:var(--code); border:1px solid var(--line); border-radius:6px; padding:10px 12px; margin:0; overflow:auto;
  font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; max-height:360px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; background:#eaeef2; }
.badge.pending_approval,.badge.approved { background:#ddf4ff; color:var(--info); }
.badge.issued { background:#dafbe1; color:var(--ok); }
.badge.denied,.badge.failed,.badge.revoked { background:#ffebe9; color:var(--bad); }
.badge.timed_out,.badge.cancelled,.badge.expired,.badge.released { background:#fff8c5; color:var(--warn); }
.muted { color:var(--muted); } .empty { color:var(--muted); font-style:italic; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:4px 18px; margin:0; } dt { color:var(--muted); } dd { margin:0; overflow-wrap:anywhere; }
a { color:var(--info); }
`;
const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const badge = (status: AccessRequest['status']) =>
  html`<span class="badge ${status}">${statusWords(status)}</span>`;

function requestsTable(requests: AccessRequest[]): SafeHtml {
  if (requests.length === 0)
    return html`<p class="empty">No requests yet. Try the example that npm start printed.</p>`;
  return html`<table>
    <thead><tr><th>request</th><th>profile</th><th>requester</th><th>status</th><th>approvals</th><th>created</th></tr></thead>
    <tbody>${requests.map(
      (r) => html`<tr>
        <td class="mono"><a href="/?request=${encodeURIComponent(r.id)}">${r.id}</a></td>
        <td>${r.profile}</td>
        <td class="mono">${r.requester}</td>
        <td>${badge(r.status)}</td>
        <td>${r.approvalRoute.kind === 'auto' ? `rule ${r.approvalRoute.rule}` : requestFacts(r).approvals}</td>
        <td>${formatInstant(r.createdAt)}</td>
      </tr>`,
    )}</tbody></table>`;
}

function auditTable(events: AuditEvent[]): SafeHtml {
  return html`<table>
    <thead><tr><th>#</th><th>at</th><th>event</th><th>actor</th><th>channel</th><th>change</th><th>detail</th></tr></thead>
    <tbody>${events.map(
      (e) => html`<tr>
        <td>${e.seq}</td><td>${formatInstant(e.at)}</td><td>${e.type}</td><td class="mono">${e.actor}</td><td>${e.channel}</td>
        <td>${e.from && e.to ? `${e.from} → ${e.to}` : (e.to ?? '')}</td>
        <td class="mono">${e.detail ? JSON.stringify(e.detail) : ''}</td>
      </tr>`,
    )}</tbody></table>`;
}

async function requestSection(deps: WebPageDeps, id: string): Promise<SafeHtml> {
  const request = await deps.store.get(id);
  if (!request) return html`<section><h2>Request ${id}</h2><p class="empty">No such request.</p></section>`;
  const facts = requestFacts(request);
  const events = await deps.store.listAudit(id);
  return html`<section>
    <h2>Request <span class="mono">${request.id}</span> ${badge(request.status)}</h2>
    <dl>
      <dt>profile</dt><dd>${request.profile}</dd>
      <dt>requester</dt><dd class="mono">${request.requester}</dd>
      <dt>repository</dt><dd>${facts.repository}</dd>
      <dt>branch</dt><dd>${facts.branch}</dd>
      <dt>started by</dt><dd>${facts.startedBy ?? '—'}</dd>
      <dt>reason</dt><dd>${facts.reason}</dd>${facts.context.map(([k, v]) => html`<dt>context ${k}</dt><dd>${v}</dd>`)}
      <dt>duration</dt><dd>${formatDuration(request.durationSeconds)}</dd>
      ${facts.window ? html`<dt>window</dt><dd>${facts.window}</dd>` : ''}
      ${request.windowEndsAt ? html`<dt>window ends</dt><dd>${formatInstant(request.windowEndsAt)}</dd>` : ''}
      ${request.renewals ? html`<dt>renewals</dt><dd>${request.renewals}</dd>` : ''}
      <dt>approval</dt><dd>${
        request.approvalRoute.kind === 'auto'
          ? `automatic (rule ${request.approvalRoute.rule})`
          : `${facts.approvals} from ${request.approvalRoute.approvers.join(', ')}, deadline ${facts.deadline}`
      }</dd>
      ${request.statusReason ? html`<dt>why</dt><dd>${request.statusReason}</dd>` : ''}
      ${request.expiresAt ? html`<dt>session expires</dt><dd>${formatInstant(request.expiresAt)}</dd>` : ''}
      <dt>credentials</dt><dd>${request.credentialsDeliveredAt ? `delivered ${formatInstant(request.credentialsDeliveredAt)}` : 'not delivered'}</dd>
    </dl>
    <h3>Session policy</h3><pre>${facts.policy}</pre>
    <h3>Audit trail <span class="muted">(hash-chained, oldest first)</span></h3>${auditTable(events)}
  </section>`;
}

function outboxSection(deps: WebPageDeps): SafeHtml {
  const messages = deps.outbox.list().reverse().slice(0, 50);
  return html`<section><h2>Outbox <span class="muted">— Slack messages and emails the local stack would have sent (newest first; <a href="/.local/outbox">JSON</a>)</span></h2>
    ${
      messages.length === 0
        ? html`<p class="empty">Nothing sent yet: requests that need a human notify their approvers here.</p>`
        : html`<table><thead><tr><th>at</th><th>channel</th><th>to</th><th>request</th><th>message</th></tr></thead><tbody>${messages.map(
            (m) => html`<tr>
              <td>${formatInstant(m.at)}</td><td>${m.channel}</td><td class="mono">${m.to}</td>
              <td class="mono"><a href="/?request=${encodeURIComponent(m.requestId)}">${m.requestId.slice(0, 8)}</a></td>
              <td><pre>${m.text}</pre>${(m.links ?? []).map((link) => {
                const href = safeHttpUrl(link);
                return href ? html`<div><a href="${href}">open approval page</a></div>` : '';
              })}</td>
            </tr>`,
          )}</tbody></table>`
    }</section>`;
}

function localAwsSection(deps: WebPageDeps): SafeHtml {
  const policies = Object.entries(deps.iam.rolePolicies());
  const sessions = deps.sts.sessions().slice(-20).reverse();
  return html`<section><h2>Local AWS stand-ins</h2>
    <h3>Revocations (IAM stand-in: each role's deny list, the inline policy <span class="mono">jitvend-denies</span> and managed <span class="mono">/jitvend/jitvend-denies-&lt;role&gt;-&lt;n&gt;</span>, listing every revoked or released session)</h3>
    ${
      policies.length === 0
        ? html`<p class="empty">No session is revoked.</p>`
        : policies.map(
            ([role, policy]) =>
              html`<div class="mono">${role}</div><pre>${JSON.stringify(JSON.parse(policy), null, 2)}</pre>`,
          )
    }
    <h3>Sessions issued by the STS stand-in <span class="muted">(since this start; no keys shown)</span></h3>
    ${
      sessions.length === 0
        ? html`<p class="empty">None yet.</p>`
        : html`<table><thead><tr><th>source identity</th><th>role</th><th>duration</th><th>expires</th></tr></thead><tbody>${sessions.map(
            (s) => html`<tr><td class="mono">${s.sourceIdentity}</td><td class="mono">${s.roleArn}</td>
              <td>${formatDuration(s.durationSeconds)}</td><td>${formatInstant(s.expiration)}</td></tr>`,
          )}</tbody></table>`
    }</section>`;
}

export async function localPage(deps: WebPageDeps, url: URL): Promise<ApiResult> {
  const selected = url.searchParams.get('request');
  if (selected !== null && !ID_PATTERN.test(selected)) {
    // never looked up: an over-long or odd id would only reach the store as a bad key
    const page = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>jitvend local stack</title></head>
<body><h1>Bad request</h1><p>request must be a request id (1 to 64 of A-Z a-z 0-9 _ -).</p><p><a href="/">Back to the requests</a></p></body></html>`;
    return { statusCode: 400, headers: HEADERS, body: page.toString() };
  }
  const [pending, recent] = await Promise.all([
    deps.store.list({ status: 'pending_approval', limit: 50 }),
    deps.store.list({ limit: 30 }),
  ]);
  const body = html`<!doctype html><html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1"><title>jitvend local stack</title>
    <style>${raw(STYLE)}</style></head><body>
    <header><h1>jitvend <small>local stack</small></h1>
      <a href="/">requests</a><a href="/openapi.json">API (OpenAPI)</a><a href="/.local/outbox">outbox JSON</a><a href="/health">health</a></header>
    <main>
      ${selected ? await requestSection(deps, selected) : ''}
      <section><h2>Waiting for approval</h2>${requestsTable(pending.items)}</section>
      <section><h2>Recent requests</h2>${requestsTable(recent.items)}</section>
      ${outboxSection(deps)}
      ${localAwsSection(deps)}
    </main></body></html>`;
  return { statusCode: 200, headers: HEADERS, body: body.toString() };
}
