/**
 * The repository manifest `.jitvend.yml` (SPEC.md "Pipelines"; reference: docs/manifest.md):
 * what a repository's tests need, reviewed like code. Read by `jitvend request`, `preview`
 * and `lint` (and the GitHub Action) when no `--profile` is given.
 *
 *   profile: orders-it
 *   permissions:
 *     - actions: [dynamodb:GetItem, dynamodb:Query]
 *       resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-${STAGE:-dev}"]
 *   duration: 15m
 *   reason: integration tests of ${GITHUB_REPOSITORY}
 *
 * `${VAR}` and `${VAR:-default}` are replaced from the environment inside string values
 * only (never keys, never YAML structure: a variable cannot add a permission). `$${` is a
 * literal `${` (IAM policy variables such as `$${aws:username}`). Defaults may nest.
 * Every error names the file, the line and the field. The server stays the only judge of
 * what is allowed: this checks shapes, not guardrails.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import {
  CONTEXT_KEY,
  MAX_CONTEXT_KEY_CHARS,
  MAX_CONTEXT_KEYS,
  MAX_CONTEXT_VALUE_CHARS,
  MAX_REASON_CHARS,
} from '../shared/domain/limits.ts';
import type { Permission, RequestBody } from './api-types.ts';
import { parseDuration } from './args.ts';
import { CliError, ExitCode } from './errors.ts';

/** Looked up in the working directory when no path is given. */
export const MANIFEST_FILE = '.jitvend.yml';
/** A manifest is a few lines; anything bigger is a mistake. */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** What a manifest asks for, in the API's terms. */
export interface Manifest {
  /** the file it was read from */
  path: string;
  profile: string;
  permissions?: Permission[];
  durationSeconds?: number;
  /** `window`: how long one approval lasts (sent as windowSeconds; see explainWindowRefusal) */
  windowSeconds?: number;
  reason?: string;
  context?: Record<string, string>;
}

/** A missing, unreadable or invalid manifest: every problem on its own line, with file:line. */
export class ManifestError extends CliError {
  override name = 'ManifestError';
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1 ? problems[0]! : `invalid manifest:\n  ${problems.join('\n  ')}`,
      ExitCode.manifest,
    );
  }
}

export interface LoadManifestOptions {
  /** `--manifest PATH` (relative to cwd); without it, `.jitvend.yml` in cwd if it exists */
  path?: string;
  cwd: string;
  env: Record<string, string | undefined>;
}

/**
 * Reads and checks the manifest. Resolves undefined when no path was given and the working
 * directory has no `.jitvend.yml`; throws ManifestError for a given path that is missing.
 */
export async function loadManifest(options: LoadManifestOptions): Promise<Manifest | undefined> {
  const explicit = options.path !== undefined;
  const file = explicit
    ? isAbsolute(options.path!)
      ? options.path!
      : resolve(options.cwd, options.path!)
    : join(options.cwd, MANIFEST_FILE);
  const shown = explicit ? options.path! : MANIFEST_FILE;
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ManifestError([`${shown}: not a file`]);
    size = info.size;
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!explicit) return undefined;
      throw new ManifestError([`${shown}: no such file`]);
    }
    throw new ManifestError([`${shown}: cannot read it (${(error as Error).message})`]);
  }
  if (size > MAX_MANIFEST_BYTES)
    throw new ManifestError([`${shown}: ${size} bytes; a manifest is at most ${MAX_MANIFEST_BYTES}`]);
  const text = await readFile(file, 'utf8');
  return { ...parseManifest(text, { env: options.env, source: shown }), path: file };
}

/** Parses manifest text (exported for tests and for callers that hold the text already). */
export function parseManifest(
  text: string,
  options: { env: Record<string, string | undefined>; source?: string },
): Omit<Manifest, 'path'> {
  const source = options.source ?? MANIFEST_FILE;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  const at = (line: number | undefined) => (line === undefined ? source : `${source}:${line}`);

  if (doc.errors.length > 0)
    throw new ManifestError(
      doc.errors.map((e) => `${at(e.linePos?.[0]?.line ?? lineOf(e.pos[0]))}: ${firstLine(e.message)}`),
    );
  if (doc.contents === null) throw new ManifestError([`${source}: the manifest is empty`]);
  if (!isMap(doc.contents))
    throw new ManifestError([
      `${at(lineOf(doc.contents.range?.[0]))}: the manifest must be a mapping (profile: ..., permissions: ...)`,
    ]);

  // ${VAR} substitution in string values only, each error at its scalar's line
  const problems: string[] = [];
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string') return;
      try {
        node.value = substitute(node.value, options.env);
      } catch (error) {
        if (!(error instanceof SubstitutionError)) throw error;
        problems.push(`${at(lineOf(node.range?.[0]))}: ${fieldName(path, node)}: ${error.message}`);
      }
    },
  });
  if (problems.length > 0) throw new ManifestError(problems);

  const parsed = manifestSchema.safeParse(doc.toJS({ maxAliasCount: 50 }));
  if (!parsed.success) {
    throw new ManifestError(
      parsed.error.issues.map((issue) => {
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
        return keys
          .map((extra) => {
            const path = extra === undefined ? issue.path : [...issue.path, extra];
            const line = lineOfPath(doc.contents as Node, path, extra !== undefined, lineOf);
            const message =
              extra === undefined
                ? issueMessage(issue)
                : `unknown field (known here: ${issue.path.length === 0 ? Object.keys(manifestSchema.shape).join(', ') : 'actions, resources'})`;
            return `${at(line)}: ${formatPath(path)}: ${message}`;
          })
          .join('\n  ');
      }),
    );
  }
  const m = parsed.data;
  return {
    profile: m.profile,
    ...(m.permissions ? { permissions: m.permissions } : {}),
    ...(m.duration === undefined ? {} : { durationSeconds: m.duration }),
    ...(m.window === undefined ? {} : { windowSeconds: m.window }),
    ...(m.reason === undefined ? {} : { reason: m.reason }),
    ...(m.context ? { context: m.context } : {}),
  };
}

/** What the command line says, on top of the manifest: flags override fields. */
export interface ManifestOverrides {
  profile?: string;
  /** replaces the manifest's permissions when not empty */
  permissions?: Permission[];
  durationSeconds?: number;
  windowSeconds?: number;
  reason?: string;
  /** merged over the manifest's context */
  context?: Record<string, string>;
}

/** The body of `POST /requests` (or preview) from a manifest and the flags that override it. */
export function requestBodyFromManifest(
  manifest: Omit<Manifest, 'path'> & { path?: string },
  overrides: ManifestOverrides = {},
  defaults: { reason?: string } = {},
): RequestBody {
  const reason = overrides.reason ?? manifest.reason ?? defaults.reason;
  if (reason === undefined)
    throw new ManifestError([
      `${manifest.path ?? MANIFEST_FILE}: reason: required (in the manifest or with --reason)`,
    ]);
  const permissions = overrides.permissions?.length ? overrides.permissions : manifest.permissions;
  const durationSeconds = overrides.durationSeconds ?? manifest.durationSeconds;
  const windowSeconds = overrides.windowSeconds ?? manifest.windowSeconds;
  const context = { ...manifest.context, ...overrides.context };
  return {
    profile: overrides.profile ?? manifest.profile,
    ...(permissions?.length ? { permissions } : {}),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(windowSeconds === undefined ? {} : { windowSeconds }),
    reason,
    ...(Object.keys(context).length ? { context } : {}),
  };
}

/**
 * Sends a body that may carry `windowSeconds`. A server without approval windows answers 400
 * naming the field: that becomes an error saying so (never a silent downgrade to one session,
 * which would leave a long job without credentials halfway). Any other answer is the caller's.
 */
export async function explainWindowRefusal<T>(
  body: RequestBody,
  send: (body: RequestBody) => Promise<T>,
): Promise<T> {
  try {
    return await send(body);
  } catch (error) {
    if (body.windowSeconds === undefined || !isWindowRefusal(error)) throw error;
    throw new CliError(
      `this jitvend server does not accept windowSeconds (window ${body.windowSeconds}s): it has no approval windows. ` +
        `Leave the window out (one approval, one session), or upgrade the server (${(error as Error).message})`,
      ExitCode.api,
      { cause: error },
    );
  }
}

/** A 400 refusing the field itself (an unknown field), not its value (e.g. above maxWindowSeconds). */
function isWindowRefusal(error: unknown): boolean {
  const e = error as { status?: unknown; detail?: unknown; title?: unknown };
  return (
    e.status === 400 &&
    /(unknown field|unrecognized key)s?:? "windowSeconds"/i.test(
      `${String(e.title ?? '')} ${String(e.detail ?? '')}`,
    )
  );
}

// --- ${VAR} substitution --------------------------------------------------------------

class SubstitutionError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${NAME}` (error if unset) and `${NAME:-default}` (default if unset or empty;
 * the default may hold more `${...}`); `$${` is a literal `${`. A lone `$` stays as is.
 */
export function substitute(text: string, env: Record<string, string | undefined>): string {
  const { value, end } = substituteUntil(text, 0, env, false);
  if (end !== text.length) throw new SubstitutionError(`unexpected "}" at character ${end + 1}`);
  return value;
}

function substituteUntil(
  text: string,
  start: number,
  env: Record<string, string | undefined>,
  nested: boolean,
): { value: string; end: number } {
  let out = '';
  let i = start;
  while (i < text.length) {
    const char = text[i]!;
    if (nested && char === '}') return { value: out, end: i };
    if (char === '$' && text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (char === '$' && text[i + 1] === '{') {
      const { value, end } = variable(text, i + 2, env);
      out += value;
      i = end + 1;
      continue;
    }
    out += char;
    i++;
  }
  if (nested) throw new SubstitutionError(`"\${" at character ${start - 1} is never closed with "}"`);
  return { value: out, end: i };
}

/** Reads `NAME}` or `NAME:-default}` from `start`; `end` is the index of the closing brace. */
function variable(
  text: string,
  start: number,
  env: Record<string, string | undefined>,
): { value: string; end: number } {
  const close = text.indexOf('}', start);
  const sep = text.indexOf(':-', start);
  const nameEnd = sep >= 0 && (close < 0 || sep < close) ? sep : close;
  if (nameEnd < 0) throw new SubstitutionError(`"\${" at character ${start - 1} is never closed with "}"`);
  const name = text.slice(start, nameEnd);
  if (!NAME.test(name))
    throw new SubstitutionError(
      `"\${${name}}" is not a variable (names are letters, digits and _; write $\${ for a literal \${, e.g. an IAM policy variable)`,
    );
  const value = env[name];
  if (nameEnd === close) {
    if (value === undefined)
      throw new SubstitutionError(
        `environment variable ${name} is not set (give a default with \${${name}:-default})`,
      );
    return { value, end: close };
  }
  const fallback = substituteUntil(text, nameEnd + 2, env, true);
  // like the shell, a set but empty variable takes the default too
  return { value: value === undefined || value === '' ? fallback.value : value, end: fallback.end };
}

// --- the schema -----------------------------------------------------------------------

/** `service:Action` with IAM wildcards, or `*` (as the CLI's --allow). */
const ACTION = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;
/** an ARN (with wildcards) or `*`; no whitespace or control characters */
const RESOURCE = /^(\*|arn:[^\s\p{Cc}]+)$/u;

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item).min(1));

const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parseDuration(String(value));
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const contextValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform(String)
  .pipe(
    z
      .string()
      .max(MAX_CONTEXT_VALUE_CHARS, `at most ${MAX_CONTEXT_VALUE_CHARS} characters`)
      .regex(/^[^\p{Cc}]*$/u, 'one line of printable characters'),
  );

const manifestSchema = z.strictObject({
  profile: z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a profile name') })
    .trim()
    .min(1, 'must not be empty'),
  permissions: z
    .array(
      z.strictObject({
        actions: oneOrMany(
          z.string().trim().regex(ACTION, 'not an IAM action (service:Action, wildcards * ?)'),
        ),
        resources: oneOrMany(z.string().trim().regex(RESOURCE, 'not a resource ARN (arn:... or *)')),
      }),
    )
    .min(1, 'must not be empty (leave permissions out to ask for the whole profile)')
    .optional(),
  duration: duration.optional(),
  window: duration.optional(),
  reason: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_REASON_CHARS, `at most ${MAX_REASON_CHARS} characters`)
    .optional(),
  context: z
    .record(
      z.string().regex(CONTEXT_KEY, `context keys are [A-Za-z0-9_.-], up to ${MAX_CONTEXT_KEY_CHARS}`),
      contextValue,
    )
    .refine((c) => Object.keys(c).length <= MAX_CONTEXT_KEYS, `at most ${MAX_CONTEXT_KEYS} keys`)
    .optional(),
});

// --- lines and field names ------------------------------------------------------------

/** The line of the node at `path` (or of its key, for an unknown field), else its nearest parent. */
function lineOfPath(
  root: Node,
  path: readonly PropertyKey[],
  keyOfLast: boolean,
  lineOf: (offset: number | undefined) => number | undefined,
): number | undefined {
  let node: unknown = root;
  let line = lineOf(root.range?.[0]);
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    const collection = node as { items?: unknown[] };
    if (!collection || !Array.isArray(collection.items)) break;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step),
      );
      if (!pair) break;
      if (keyOfLast && i === path.length - 1) return lineOf((pair.key as Node).range?.[0]) ?? line;
      line = lineOf((pair.key as Node).range?.[0]) ?? line;
      next = pair.value;
    } else {
      next = collection.items[Number(step)];
    }
    const range = (next as Node | null)?.range;
    if (range) line = lineOf(range[0]);
    node = next;
  }
  return line;
}

/** `permissions[0].actions[1]` */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top)';
  return path
    .map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? String(step) : `.${String(step)}`))
    .join('');
}

/** The field name of a scalar while visiting, from the pairs and sequences above it. */
function fieldName(path: readonly unknown[], node: unknown): string {
  const steps: PropertyKey[] = [];
  const chain = [...path, node];
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1];
    const child = chain[i];
    if (isPair(parent) && isScalar(parent.key)) steps.push(String(parent.key.value));
    else if (parent && Array.isArray((parent as { items?: unknown[] }).items) && !isMap(parent))
      steps.push((parent as { items: unknown[] }).items.indexOf(child));
  }
  return formatPath(steps);
}

/** zod's own words, or for a record key the rule the key broke */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
