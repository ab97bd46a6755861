import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { CredentialVault, SealedCredentials } from '../../domain/ports.ts';
import type { IssuedCredentials } from '../../domain/types.ts';

let defaultClient: KMSClient | undefined;
function sharedClient(): KMSClient {
  defaultClient ??= new KMSClient({});
  return defaultClient;
}

/**
 * Seals credentials with KMS on AWS: Encrypt under a customer-managed key with the request
 * id as encryption context, so a sealed blob only opens for its own request and every
 * open is in CloudTrail. The credentials JSON is far below KMS's 4 KB plaintext limit.
 */
export class KmsVault implements CredentialVault {
  private readonly client: KMSClient;
  constructor(
    private readonly keyId: string,
    client?: KMSClient,
  ) {
    this.client = client ?? sharedClient();
  }

  async seal(requestId: string, credentials: IssuedCredentials): Promise<SealedCredentials> {
    const out = await this.client.send(
      new EncryptCommand({
        KeyId: this.keyId,
        Plaintext: Buffer.from(JSON.stringify(credentials), 'utf8'),
        EncryptionContext: { 'jitvend:request': requestId },
      }),
    );
    if (!out.CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext');
    return {
      ciphertext: `kms1.${Buffer.from(out.CiphertextBlob).toString('base64url')}`,
      expiration: credentials.expiration,
    };
  }

  async open(requestId: string, sealed: SealedCredentials): Promise<IssuedCredentials> {
    if (!sealed.ciphertext.startsWith('kms1.'))
      throw new Error(`sealed credentials of ${requestId}: unknown format`);
    const out = await this.client.send(
      new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(sealed.ciphertext.slice(5), 'base64url'),
        EncryptionContext: { 'jitvend:request': requestId },
      }),
    );
    if (!out.Plaintext) throw new Error(`sealed credentials of ${requestId}: KMS returned no plaintext`);
    return JSON.parse(Buffer.from(out.Plaintext).toString('utf8')) as IssuedCredentials;
  }
}
