/**
 * In-memory RequestRepository: the same rules as the DynamoDB adapter (writes conditional on
 * the version and status read, the audit event in the same write, credentials kept and taken
 * with transitions, idempotency keys per principal, cursors bound to their query and caller),
 * checked by the same contract suite (test/contracts/request-repository.ts).
 */
import { principalKey } from '../../shared/domain/access.ts';
import { ConcurrentUpdateError, ValidationError } from '../../shared/domain/errors.ts';
import type {
  CommitOptions,
  CreateOptions,
  ListQuery,
  Page,
  RequestRepository,
  SealedCredentials,
} from '../../shared/domain/ports.ts';
import type { AccessRequest, AuditEvent } from '../../shared/domain/types.ts';

/** one turn of the event loop, as a real round trip gives: lets racing callers interleave */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InMemoryRequestRepository implements RequestRepository {
  readonly #requests = new Map<string, AccessRequest>();
  readonly #audit = new Map<string, AuditEvent[]>();
  readonly #credentials = new Map<string, SealedCredentials>();
  readonly #idempotency = new Map<string, { requestId: string; fingerprint?: string }>();
  readonly #runs = new Map<string, string[]>();
  /** how many writes (create, commit) succeeded: tests count work with it */
  writes = 0;

  async create(
    request: AccessRequest,
    /** its first audit events: one, or (a request approved at create) several, in order */
    event: AuditEvent | readonly AuditEvent[],
    options: CreateOptions = {},
  ): Promise<{ request: AccessRequest; created: boolean; fingerprint?: string }> {
    const events: readonly AuditEvent[] = Array.isArray(event) ? event : [event as AuditEvent];
    if (events.length === 0) throw new Error(`request ${request.id} created without an audit event`);
    for (const each of events) assertEventOf(request.id, each);
    let key: string | undefined;
    if (options.idempotencyKey !== undefined) {
      if (request.requesterIssuer === undefined) {
        throw new Error(`request ${request.id} has no requesterIssuer: its idempotency key has no owner`);
      }
      key = `${principalKey({ issuer: request.requesterIssuer, subject: request.requester })}#${options.idempotencyKey}`;
    }
    // as the DynamoDB adapter: the run's list first, outside the create (listRun skips ids never created)
    if (options.run !== undefined)
      this.#runs.set(options.run, [...(this.#runs.get(options.run) ?? []), request.id]);
    await tick();
    const replay = key === undefined ? undefined : this.#idempotency.get(key);
    if (replay) {
      const first = this.#requests.get(replay.requestId);
      if (!first) throw new Error('idempotency key maps to a request that cannot be read');
      return {
        request: structuredClone(first),
        created: false,
        ...(replay.fingerprint !== undefined ? { fingerprint: replay.fingerprint } : {}),
      };
    }
    if (this.#requests.has(request.id))
      throw new ConcurrentUpdateError(`request ${request.id} already exists`);
    if (options.reuses !== undefined) {
      const reused = this.#requests.get(options.reuses.id);
      if (reused?.status !== 'issued' || reused.windowEndsAt !== options.reuses.windowEndsAt) {
        throw new ConcurrentUpdateError(
          `request ${options.reuses.id} is no longer issued in the same window: it approves ${request.id} no more`,
        );
      }
    }
    this.#requests.set(request.id, structuredClone(request));
    this.#audit.set(
      request.id,
      events.map((each) => structuredClone(each)),
    );
    if (key !== undefined) {
      this.#idempotency.set(key, {
        requestId: request.id,
        ...(options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {}),
      });
    }
    this.writes++;
    return { request, created: true };
  }

  async listRun(run: string): Promise<AccessRequest[]> {
    await tick();
    return (this.#runs.get(run) ?? []).flatMap((id) => {
      const request = this.#requests.get(id);
      return request ? [structuredClone(request)] : [];
    });
  }

  async get(id: string): Promise<AccessRequest | undefined> {
    await tick();
    const request = this.#requests.get(id);
    return request ? structuredClone(request) : undefined;
  }

  async commit(
    prev: AccessRequest,
    next: AccessRequest,
    event: AuditEvent,
    options: CommitOptions = {},
  ): Promise<void> {
    if (next.id !== prev.id) throw new Error(`commit: next request ${next.id} is not request ${prev.id}`);
    assertEventOf(prev.id, event);
    if (options.putCredentials && options.deleteCredentials) {
      throw new Error('commit: putCredentials and deleteCredentials cannot be combined in one transition');
    }
    await tick();
    // from here to the end nothing awaits: the check and the write are one atomic step
    const current = this.#requests.get(prev.id);
    const events = this.#audit.get(prev.id) ?? [];
    if (
      !current ||
      current.version !== prev.version ||
      current.status !== prev.status ||
      events.some((e) => e.seq === event.seq)
    ) {
      throw new ConcurrentUpdateError(`request ${prev.id} was changed by someone else; read it again`);
    }
    if (options.deleteCredentials === 'required' && !this.#credentials.has(prev.id)) {
      throw new ConcurrentUpdateError(`the credentials of request ${prev.id} are no longer stored`);
    }
    this.#requests.set(prev.id, structuredClone(next));
    this.#audit.set(prev.id, [...events, structuredClone(event)]);
    if (options.putCredentials) this.#credentials.set(prev.id, { ...options.putCredentials });
    if (options.deleteCredentials) this.#credentials.delete(prev.id);
    this.writes++;
  }

  async list(query: ListQuery): Promise<Page<AccessRequest>> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('limit must be a positive integer');
    const shape = queryShape(query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, shape, query.caller);
    await tick();
    const matching = [...this.#requests.values()]
      .filter((r) => matches(r, query))
      .sort((a, b) => (listKey(a) < listKey(b) ? 1 : -1))
      .filter((r) => after === undefined || listKey(r) < after);
    const items = matching.slice(0, limit).map((r) => structuredClone(r));
    if (matching.length <= limit) return { items };
    return { items, nextCursor: encodeCursor(shape, listKey(items[items.length - 1]!), query.caller) };
  }

  async listAudit(id: string): Promise<AuditEvent[]> {
    await tick();
    return (this.#audit.get(id) ?? []).map((e) => structuredClone(e)).sort((a, b) => a.seq - b.seq);
  }

  async getWithCredentials(
    id: string,
  ): Promise<{ request: AccessRequest | undefined; credentials: SealedCredentials | undefined }> {
    await tick();
    const request = this.#requests.get(id);
    const credentials = this.#credentials.get(id);
    return {
      request: request ? structuredClone(request) : undefined,
      credentials: credentials ? { ...credentials } : undefined,
    };
  }

  /** Inspection (no port), as on the DynamoDB adapter: the sealed credentials stored, if any. */
  async getCredentials(id: string): Promise<SealedCredentials | undefined> {
    const credentials = this.#credentials.get(id);
    return credentials ? { ...credentials } : undefined;
  }

  /** Test setup: a request as it is stored at some point of its life, with its events so far. */
  seed(request: AccessRequest, events: AuditEvent[] = [], credentials?: SealedCredentials): void {
    this.#requests.set(request.id, structuredClone(request));
    this.#audit.set(
      request.id,
      events.map((e) => structuredClone(e)),
    );
    if (credentials) this.#credentials.set(request.id, { ...credentials });
  }
}

function assertEventOf(requestId: string, event: AuditEvent): void {
  if (event.requestId !== requestId)
    throw new Error(`audit event of ${event.requestId} written with request ${requestId}`);
}

function listKey(request: AccessRequest): string {
  return `${request.createdAt}#${request.id}`;
}

function matches(request: AccessRequest, query: ListQuery): boolean {
  if (query.status !== undefined && request.status !== query.status) return false;
  const requester = query.requester;
  if (requester === undefined) return true;
  if (request.requester !== requester.subject) return false;
  if (request.requesterIssuer === undefined) return requester.includeLegacy;
  return request.requesterIssuer === requester.issuer;
}

/**
 * What a cursor is bound to besides its caller: the list it pages, as the adapter's index and
 * partition are (a requester's list by subject, a status list by status, else the whole list).
 */
function queryShape(query: ListQuery): string {
  if (query.requester !== undefined) return `requester:${query.requester.subject}`;
  return query.status !== undefined ? `status:${query.status}` : 'all';
}

function encodeCursor(shape: string, after: string, caller: string | undefined): string {
  return Buffer.from(JSON.stringify({ q: shape, a: after, c: caller ?? null })).toString('base64url');
}

function decodeCursor(cursor: string, shape: string, caller: string | undefined): string {
  const invalid = () => new ValidationError('the cursor is invalid or belongs to another query');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (decoded === null || typeof decoded !== 'object') throw invalid();
  const { q, a, c } = decoded as { q?: unknown; a?: unknown; c?: unknown };
  if (q !== shape || typeof a !== 'string' || c !== (caller ?? null)) throw invalid();
  return a;
}
