import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { KmsVault } from '../../shared/adapters/kms/kms-vault.ts';

const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

const credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
  secretAccessKey: 'not-a-real-secret',
  sessionToken: 'not-a-real-token',
  expiration: '2026-11-24T02:00:00.000Z',
};

describe('KmsVault (AWS adapter)', () => {
  it('encrypts under the key with the request id as encryption context', async () => {
    kms.on(EncryptCommand).resolves({ CiphertextBlob: new Uint8Array([1, 2, 3]) });
    const vault = new KmsVault('alias/jitvend', new KMSClient({}));
    const sealed = await vault.seal('req-1', credentials);
    expect(sealed).toEqual({
      ciphertext: `kms1.${Buffer.from([1, 2, 3]).toString('base64url')}`,
      expiration: credentials.expiration,
    });
    expect(sealed.ciphertext).not.toContain(credentials.secretAccessKey);
    expect(kms).toHaveReceivedCommandWith(EncryptCommand, {
      KeyId: 'alias/jitvend',
      EncryptionContext: { 'jitvend:request': 'req-1' },
    });
    const sent = kms.commandCalls(EncryptCommand)[0]!.args[0].input;
    expect(JSON.parse(Buffer.from(sent.Plaintext!).toString('utf8'))).toEqual(credentials);
  });

  it('decrypts with the same encryption context and returns the credentials', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from(JSON.stringify(credentials)) });
    const vault = new KmsVault('alias/jitvend', new KMSClient({}));
    const opened = await vault.open('req-1', { ciphertext: 'kms1.AQID', expiration: credentials.expiration });
    expect(opened).toEqual(credentials);
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, {
      KeyId: 'alias/jitvend',
      EncryptionContext: { 'jitvend:request': 'req-1' },
    });
  });

  it('refuses a blob of another format without calling KMS', async () => {
    const vault = new KmsVault('alias/jitvend', new KMSClient({}));
    await expect(
      vault.open('req-1', { ciphertext: 'v1.abc', expiration: credentials.expiration }),
    ).rejects.toThrow(/unknown format/);
    expect(kms.calls()).toHaveLength(0);
  });
});
