/**
 * The synthesized workflow definition, cached on disk so the local stack starts without
 * loading aws-cdk-lib (its module load and the synth take seconds at every start).
 *
 * There is still one definition: the one CDK synthesizes (infra/workflow-definition.ts). The
 * cache (`dist/workflow-definition.json`, gitignored, built by `npm ci`'s `prepare` and by
 * `npm run build:workflow`) stores it with a SHA-256 of everything that produced it: the
 * contents of every local source file the synth imports (listed in the cache, found by esbuild
 * when it was built) and the versions of aws-cdk-lib and constructs. A cache whose hash no
 * longer matches, or that is missing or unreadable, is never used: the definition is
 * synthesized again and the cache rewritten. This module imports nothing from CDK; the synth
 * (infra/workflow-definition.ts) is loaded, with a dynamic import, by
 * infra/workflow-definition-loader.ts only when the cache is stale: neither imports the other
 * both ways.
 *
 * The definition is validated (aws-local-stepfunctions' validator: ARNs, paths, reachability)
 * before it is written, and the validator's version is part of the hash, so every definition
 * this module returns has passed it and the local runner need not check it again at every
 * start (a few hundred ms to seconds of CPU).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the cached inputs are paths relative to it). */
/** An Amazon States Language definition (JSONPath), as a plain JSON object. */
export interface WorkflowDefinition {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  Comment?: string;
  TimeoutSeconds?: number;
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WORKFLOW_DEFINITION_CACHE = join(REPO_ROOT, 'dist', 'workflow-definition.json');
/** Bump when the cache file's shape or the hash's recipe changes. */
const CACHE_FORMAT = 2;
/** Packages whose version is part of the hash (they produce the definition). */
const HASHED_PACKAGES = ['aws-cdk-lib', 'constructs', 'aws-local-stepfunctions'] as const;

export interface WorkflowDefinitionCache {
  format: number;
  /** SHA-256 (hex) of the inputs' contents and the packages' versions */
  inputsHash: string;
  /** the local source files the synth is made of, relative to the root, sorted */
  inputs: string[];
  definition: WorkflowDefinition;
}

export interface CacheLocation {
  /** the cache file (default WORKFLOW_DEFINITION_CACHE) */
  file?: string;
  /** the root the inputs are relative to (default REPO_ROOT) */
  root?: string;
}

function packageVersion(root: string, name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
    return String(manifest.version);
  } catch {
    return 'absent';
  }
}

/** The hash of the given inputs as they are on disk now (a missing input hashes as missing). */
export function workflowInputsHash(inputs: readonly string[], root: string = REPO_ROOT): string {
  const hash = createHash('sha256');
  hash.update(`jitvend workflow definition cache ${CACHE_FORMAT}\n`);
  for (const name of HASHED_PACKAGES) hash.update(`package ${name}@${packageVersion(root, name)}\n`);
  for (const input of [...inputs].sort()) {
    let content: Buffer | string;
    try {
      content = readFileSync(join(root, input));
    } catch {
      content = '\u0000missing';
    }
    hash.update(`file ${input} ${Buffer.byteLength(content)}\n`);
    hash.update(content);
  }
  return hash.digest('hex');
}

function isCache(value: unknown): value is WorkflowDefinitionCache {
  const cache = value as Partial<WorkflowDefinitionCache> | null;
  return (
    typeof cache === 'object' &&
    cache !== null &&
    cache.format === CACHE_FORMAT &&
    typeof cache.inputsHash === 'string' &&
    Array.isArray(cache.inputs) &&
    cache.inputs.length > 0 &&
    cache.inputs.every((input) => typeof input === 'string') &&
    typeof cache.definition?.StartAt === 'string' &&
    typeof cache.definition.States === 'object'
  );
}

/**
 * The cached definition if the cache exists and its hash matches its inputs as they are now;
 * undefined otherwise (missing, unreadable, another format, or stale).
 */
export function readCachedWorkflowDefinition(location: CacheLocation = {}): WorkflowDefinition | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(location.file ?? WORKFLOW_DEFINITION_CACHE, 'utf8'));
  } catch {
    return undefined;
  }
  if (!isCache(parsed)) return undefined;
  if (workflowInputsHash(parsed.inputs, location.root ?? REPO_ROOT) !== parsed.inputsHash) return undefined;
  return parsed.definition;
}

/**
 * Throws when the local interpreter's validator refuses the definition (what the local runner
 * would otherwise check at every start).
 */
export function validateWorkflowDefinition(definition: WorkflowDefinition): void {
  // the package's CommonJS build, so this stays synchronous (a devDependency, as aws-cdk-lib is)
  const { StateMachine } = createRequire(import.meta.url)(
    'aws-local-stepfunctions',
  ) as typeof import('aws-local-stepfunctions');
  // on a copy: the library changes the definition it is given
  new StateMachine(structuredClone(definition) as unknown as ConstructorParameters<typeof StateMachine>[0]);
}

/**
 * Writes the cache atomically (a temp file renamed over it, so a concurrent reader sees the
 * old file or the new one). `inputsHash` must have been taken before the synth read its
 * inputs: an input changed during the synth then leaves a cache that reads as stale.
 */
export function writeWorkflowDefinitionCache(
  cache: Omit<WorkflowDefinitionCache, 'format'>,
  location: CacheLocation = {},
): void {
  validateWorkflowDefinition(cache.definition);
  const file = location.file ?? WORKFLOW_DEFINITION_CACHE;
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const body: WorkflowDefinitionCache = { format: CACHE_FORMAT, ...cache, inputs: [...cache.inputs].sort() };
  writeFileSync(temp, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(temp, file);
}
