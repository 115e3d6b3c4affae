import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, scrubText } from '../../src/log.js';

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc2VjcmV0c2VjcmV0',
  '-----END PRIVATE KEY-----',
].join('\n');
const BOT_TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp';
const APP_TOKEN = 'xapp-1-A0123-456789-abcdef0123456789';

function capture(): { lines: () => string; stream: Writable } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { lines: () => out, stream };
}

describe('log redaction', () => {
  it('removes secrets by key and by shape, wherever they appear', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info' }, stream);
    log.info({ enrollmentSecret: 'peer0pw', nested: { privateKey: PEM, token: BOT_TOKEN } }, 'registered');
    log.info({ headers: { authorization: `Bearer ${BOT_TOKEN}` } }, 'call');
    log.error({ err: new Error(`enroll failed for https://peer0:s3cr3tpw@ca.example:7054 with key ${PEM}`) }, 'boom');
    log.warn(`socket mode token ${APP_TOKEN} rejected; enrollment_secret=hunter2`);
    log.info({ text: `here is ${BOT_TOKEN}`, list: [APP_TOKEN] }, 'free text');
    const out = lines();
    for (const secret of ['peer0pw', 's3cr3tpw', 'hunter2', BOT_TOKEN, APP_TOKEN, 'BEGIN PRIVATE KEY', 'c2VjcmV0c2VjcmV0']) {
      expect(out).not.toContain(secret);
    }
    expect(out.split('\n').filter((l) => l !== '')).toHaveLength(5);
    expect(out).toContain('[Redacted]');
    // What is not secret stays readable.
    expect(out).toContain('enroll failed for https://peer0:[Redacted]@ca.example:7054');
    expect(out).toContain('registered');
  });

  it('leaves ordinary text alone', () => {
    expect(scrubText('scaled org1-peer from 1 to 3 replicas')).toBe('scaled org1-peer from 1 to 3 replicas');
  });

  it.each([
    ['fabric-ca-server start -b admin:adminpw --port 7054', 'adminpw', 'start -b admin:[Redacted]'],
    ['CORE_PEER_PASSWORD=p4ss password=hunter22 passwd: letmein', 'hunter22', 'password=[Redacted]'],
    ['connecting with token=abc123def to the API', 'abc123def', 'token=[Redacted]'],
    ['Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig', 'eyJhbGciOiJSUzI1NiJ9', 'Bearer [Redacted]'],
    ['{"mspId":"Org1MSP","tlsKeyPem":"-----BEGIN EC KEY-----xyz"}', 'BEGIN EC KEY', '"tlsKeyPem":"[Redacted]"'],
    ['tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5', 'LS0tLS1CRUdJTi', 'tls.key: [Redacted]'],
    ['data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5 end', 'LS0tLS1CRUdJTi', 'data: [Redacted] end'],
    ['redis://fco:s3cret-pw@redis:6379', 's3cret-pw', 'redis://fco:[Redacted]@redis:6379'],
  ])('scrubs %s from free text and pod logs', (text, secret, kept) => {
    const out = scrubText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(kept);
  });
});
