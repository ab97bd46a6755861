import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateKeyFile } from '../../local/secret-file.ts';
import { AesGcmVault, SealedCredentialsError } from '../../shared/adapters/crypto/aes-gcm-vault.ts';
import type { IssuedCredentials } from '../../shared/domain/types.ts';

const credentials: IssuedCredentials = {
  accessKeyId: 'ASIAJITVENDLOCALAB12',
  secretAccessKey: 'very-secret-access-key-do-not-leak-000000',
  sessionToken: 'jitvend-local-session-token-do-not-leak',
  expiration: '2026-03-01T13:00:00.000Z',
};

async function openError(promise: Promise<unknown>): Promise<SealedCredentialsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SealedCredentialsError);
  const message = (error as Error).message;
  expect(message).not.toContain(credentials.secretAccessKey);
  expect(message).not.toContain(credentials.sessionToken);
  return error as SealedCredentialsError;
}

describe('AesGcmVault', () => {
  const vault = new AesGcmVault(randomBytes(32));

  it('opens what it sealed for the same request', async () => {
    const sealed = await vault.seal('req-1', credentials);
    expect(sealed.expiration).toBe(credentials.expiration);
    expect(sealed.ciphertext).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    await expect(vault.open('req-1', sealed)).resolves.toEqual(credentials);
  });

  it('never shows the secrets in the sealed form', async () => {
    const sealed = await vault.seal('req-1', credentials);
    const decoded = Buffer.from(sealed.ciphertext.slice(3), 'base64url').toString('latin1');
    expect(sealed.ciphertext + decoded).not.toContain(credentials.secretAccessKey);
    expect(sealed.ciphertext + decoded).not.toContain(credentials.accessKeyId);
  });

  it('uses a fresh IV for each seal', async () => {
    const a = await vault.seal('req-1', credentials);
    const b = await vault.seal('req-1', credentials);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('does not open a blob moved to another request', async () => {
    const sealed = await vault.seal('req-1', credentials);
    await openError(vault.open('req-2', sealed));
  });

  it('does not open with another key', async () => {
    const sealed = await vault.seal('req-1', credentials);
    await openError(new AesGcmVault(randomBytes(32)).open('req-1', sealed));
  });

  it.each([0, 5, 20, -1])('does not open a blob tampered at byte %i', async (position) => {
    const sealed = await vault.seal('req-1', credentials);
    const blob = Buffer.from(sealed.ciphertext.slice(3), 'base64url');
    const index = position < 0 ? blob.length + position : position;
    blob[index] = (blob[index] ?? 0) ^ 0x01;
    await openError(vault.open('req-1', { ...sealed, ciphertext: `v1.${blob.toString('base64url')}` }));
  });

  it.each([
    ['an unknown version', (c: string) => `v2.${c.slice(3)}`],
    ['no version', (c: string) => c.slice(3)],
    ['a truncated blob', (c: string) => c.slice(0, 20)],
    ['nothing', () => ''],
  ])('refuses %s', async (_, change) => {
    const sealed = await vault.seal('req-1', credentials);
    await openError(vault.open('req-1', { ...sealed, ciphertext: change(sealed.ciphertext) }));
  });

  it('wants a 32-byte key', () => {
    expect(() => new AesGcmVault(randomBytes(16))).toThrow(/32 bytes/);
    const key = randomBytes(32);
    expect(AesGcmVault.fromBase64(key.toString('base64'))).toBeInstanceOf(AesGcmVault);
    expect(AesGcmVault.fromBase64(key.toString('base64url'))).toBeInstanceOf(AesGcmVault);
  });
});

describe('loadOrCreateKeyFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jitvend-vault-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 key file once and reads it back', async () => {
    const path = join(dir, 'nested', 'vault.key');
    const first = await loadOrCreateKeyFile(path);
    expect(first).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateKeyFile(path)).toEqual(first);
    const sealed = await new AesGcmVault(first).seal('req-1', credentials);
    await expect(new AesGcmVault(await loadOrCreateKeyFile(path)).open('req-1', sealed)).resolves.toEqual(
      credentials,
    );
  });

  it('tightens a key file readable by others', async () => {
    const path = join(dir, 'vault.key');
    await writeFile(path, randomBytes(32).toString('base64'), { mode: 0o644 });
    await loadOrCreateKeyFile(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('refuses a key file of the wrong size', async () => {
    const path = join(dir, 'vault.key');
    await writeFile(path, randomBytes(8).toString('base64'), { mode: 0o600 });
    await expect(loadOrCreateKeyFile(path)).rejects.toThrow(/32 bytes/);
    expect(await readFile(path, 'utf8')).not.toBe('');
  });
});
