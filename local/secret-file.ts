import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeKey, KEY_BYTES } from '../shared/adapters/crypto/aes-gcm-vault.ts';

/** Reads a secret file, tightening its mode to 0600 when looser; undefined when it does not exist. */
export async function readSecretFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return text;
}

/**
 * The local stack's secrets on disk (signing keys): the file's text, created (mode 0600, in a
 * 0700 directory) with `create()` the first time. If another process creates it meanwhile,
 * theirs is used.
 */
export async function loadOrCreateSecretFile(
  path: string,
  create: () => Promise<string> | string,
): Promise<string> {
  const existing = await readSecretFile(path);
  if (existing !== undefined) return existing;
  const text = await create();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, text, { mode: 0o600, flag: 'wx' });
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const raced = await readSecretFile(path);
    if (raced === undefined) throw new Error(`secret file ${path} disappeared while being created`);
    return raced;
  }
}

/**
 * The local stack's vault key: read from `path` (base64 text), or created there the first
 * time (32 random bytes, file mode 0600; a looser mode on an existing file is tightened).
 */
export async function loadOrCreateKeyFile(path: string): Promise<Buffer> {
  const text = await loadOrCreateSecretFile(path, () => `${randomBytes(KEY_BYTES).toString('base64')}\n`);
  return decodeKey(text, `vault key file ${path}`);
}
