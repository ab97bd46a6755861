/**
 * Seals issued credentials for the short time they are stored (issue → delivery) with
 * AES-256-GCM. Format: `v1.<base64url(iv ‖ ciphertext ‖ tag)>`, a random 12-byte IV per seal,
 * and the request id as additional authenticated data, so a sealed blob copied onto another
 * request does not open. Errors name the request, never the plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CredentialVault, SealedCredentials } from '../../domain/ports.ts';
import type { IssuedCredentials } from '../../domain/types.ts';

const VERSION = 'v1';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Sealed credentials that cannot be opened: wrong request, wrong key, tampered or unknown format. */
export class SealedCredentialsError extends Error {
  override readonly name = 'SealedCredentialsError';
}

export class AesGcmVault implements CredentialVault {
  private readonly key: Buffer;

  /** `key`: 32 random bytes (see `loadOrCreateKeyFile` in local/secret-file.ts for the local stack). */
  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new Error(`AES-256-GCM vault key must be ${KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  /** From a base64 (or base64url) encoded 32-byte key, e.g. a secret in the environment. */
  static fromBase64(encoded: string): AesGcmVault {
    return new AesGcmVault(decodeKey(encoded, 'vault key'));
  }

  async seal(requestId: string, credentials: IssuedCredentials): Promise<SealedCredentials> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(requestId, 'utf8'));
    const plaintext = Buffer.from(
      JSON.stringify({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: credentials.expiration,
      }),
      'utf8',
    );
    const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    plaintext.fill(0);
    const blob = Buffer.concat([iv, encrypted, cipher.getAuthTag()]);
    return { ciphertext: `${VERSION}.${blob.toString('base64url')}`, expiration: credentials.expiration };
  }

  async open(requestId: string, sealed: SealedCredentials): Promise<IssuedCredentials> {
    const [version, encoded, ...rest] = sealed.ciphertext.split('.');
    if (version !== VERSION || encoded === undefined || rest.length > 0) {
      throw new SealedCredentialsError(`sealed credentials of request ${requestId} have an unknown format`);
    }
    const blob = Buffer.from(encoded, 'base64url');
    if (blob.length <= IV_BYTES + TAG_BYTES) {
      throw new SealedCredentialsError(`sealed credentials of request ${requestId} are truncated`);
    }
    const iv = blob.subarray(0, IV_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const encrypted = blob.subarray(IV_BYTES, blob.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(requestId, 'utf8'));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(encrypted), decipher.final()]);
    } catch {
      throw new SealedCredentialsError(
        `sealed credentials of request ${requestId} do not open: another request's, another key's, or tampered`,
      );
    }
    try {
      const value = JSON.parse(plaintext.toString('utf8')) as Record<string, unknown>;
      const { accessKeyId, secretAccessKey, sessionToken, expiration } = value;
      if (
        typeof accessKeyId === 'string' &&
        typeof secretAccessKey === 'string' &&
        typeof sessionToken === 'string' &&
        typeof expiration === 'string'
      ) {
        return { accessKeyId, secretAccessKey, sessionToken, expiration };
      }
    } catch {
      // fall through: never echo the plaintext
    } finally {
      plaintext.fill(0);
    }
    throw new SealedCredentialsError(`sealed credentials of request ${requestId} hold no credentials`);
  }
}

export function decodeKey(encoded: string, what: string): Buffer {
  // Node's base64 decoder also accepts the base64url alphabet
  const key = Buffer.from(encoded.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${what} must be ${KEY_BYTES} bytes, base64-encoded`);
  return key;
}
