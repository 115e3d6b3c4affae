import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FabricCaClient, MANAGED_ATTRIBUTE, type RegisteredIdentity, type RegistrarIdentity } from '../../src/fabric/ca.js';
import { binary } from '../infra/env/binaries.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { testEnvironment } from './support.js';

/**
 * The CA side of the trust boundaries, through Slack against a real fabric-ca-server: nobody mints
 * CA privileges through the bot, admin and orderer identities need the org's admins, and the bot
 * never re-secrets an identity it did not register (the CA's bootstrap registrar above all) or
 * touches the identities the configuration relies on. Each case also checks, with the CA's own
 * records and its own CLI, that nothing changed.
 */
const run = promisify(execFile);
const env = testEnvironment();
const OPS = 'C0OPS';
const stamp = Date.now().toString(36);

let stack: Stack;
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-ca-trust-'));

const caOf = (org: string) => {
  const ca = env.cas.find((c) => c.org === org);
  if (ca === undefined) throw new Error(`no CA for ${org}`);
  return ca;
};

/** The harness's own registrar identity at the org's CA (enrolled from the bootstrap user), to read the CA's records. */
function registrarOf(org: string): { client: FabricCaClient; registrar: RegistrarIdentity } {
  const ca = caOf(org);
  const msp = path.join(ca.registrarHome, 'msp');
  const keyFile = readdirSync(path.join(msp, 'keystore'))[0] as string;
  return {
    client: new FabricCaClient({ url: ca.url, caName: ca.caName, tlsRootPem: readFileSync(ca.tlsCert, 'utf8') }),
    registrar: {
      mspId: org === 'org1' ? 'Org1MSP' : 'Org2MSP',
      certPem: readFileSync(path.join(msp, 'signcerts', 'cert.pem'), 'utf8'),
      keyPem: readFileSync(path.join(msp, 'keystore', keyFile), 'utf8'),
    },
  };
}
/** The CA's record of the identity, attributes in name order (the CA lists them in any order). */
const record = async (org: string, id: string): Promise<RegisteredIdentity | undefined> => {
  const { client, registrar } = registrarOf(org);
  const r = await client.identity(registrar, id);
  return r === undefined ? undefined : { ...r, attrs: [...r.attrs].sort((a, b) => a.name.localeCompare(b.name)) };
};

/** fabric-ca-client, the CA's own CLI, as the harness's registrar. */
async function caCli(org: string, args: string[], home = caOf(org).registrarHome): Promise<string> {
  const ca = caOf(org);
  const { stdout, stderr } = await run(
    binary('fabric-ca-client'),
    [...args, '--caname', ca.caName, '--tls.certfiles', ca.tlsCert, '-H', home],
    { timeout: 30_000 },
  );
  return `${stdout}${stderr}`;
}
/** Enrolls `id` with `secret` into a scratch home: works only while the CA still takes that secret. */
async function enrollsWith(org: string, id: string, secret: string): Promise<boolean> {
  const home = mkdtempSync(path.join(work, 'enroll-'));
  const url = new URL(caOf(org).url);
  url.username = id;
  url.password = secret;
  try {
    await caCli(org, ['enroll', '-u', url.toString().replace(/\/$/, '')], home);
    return true;
  } catch {
    return false;
  }
}
/** The bootstrap registrar's password, from the CA's own configuration (where it lives). */
const bootstrapPassword = (org: string): string => {
  const config = readFileSync(path.join(path.dirname(caOf(org).tlsCert), 'fabric-ca-server-config.yaml'), 'utf8');
  return /^\s*pass:\s*"?([^"\s]+)"?\s*$/m.exec(config)?.[1] as string;
};

async function command(user: string, text: string): Promise<string> {
  const res = await stack.command(text, { user, channel: OPS });
  expect(res.status).toBe(200);
  return (await res.answer(20_000)).text ?? '';
}
/** How the job the answer names ended, as its status message says. */
function outcome(answer: string): Promise<string> {
  const id = /Queued job `([a-z0-9]+)`/.exec(answer)?.[1];
  if (id === undefined) throw new Error(`no job in: ${answer}`);
  return eventually(
    `job ${id} to end`,
    () => {
      // The job's own status message, not the approval card that lists its steps.
      const m = stack.slack
        .messages(OPS)
        .find(
          (x) =>
            !x.ephemeral &&
            JSON.stringify(x.blocks ?? []).includes(`Job \`${id}\``) &&
            !JSON.stringify(x.blocks).includes('Approval needed'),
        );
      const text = JSON.stringify(m?.blocks ?? []);
      return /succeeded|failed/.test(text) ? text : undefined;
    },
    60_000,
  );
}
async function approve(answer: string, admin: string): Promise<string> {
  const id = /request `([a-z0-9]+)`/.exec(answer)?.[1] as string;
  const card = await eventually('the card', () =>
    stack.slack.messages(OPS).find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
  );
  await stack.click(card, 'approval_approve', { user: admin, value: id });
  return outcome(`Queued job \`${id}\``);
}

beforeAll(async () => {
  stack = await startStack({
    secret: 'ca-trust-secret',
    token: 'xoxb-ca-trust-token',
    channels: [OPS, 'C0ALERTS'],
    users: ['U0ALICE', 'U0BOB', 'U0ADMIN1', 'U0ADMIN1B', 'U0ADMIN2'],
    config: env.botConfig,
    env: { KUBECONFIG: env.kubeconfig, STATUS_UPDATE_INTERVAL_MS: '200' },
    bot: 'bot',
    workers: 1,
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('no one mints privileges at the CA through the bot', () => {
  it('refuses hf.* attributes, and the CA registers nothing', async () => {
    const id = `minted-${stamp}`;
    for (const attrs of ['hf.Registrar.Roles=*', 'site=lab,hf.Revoker=true', 'hf.GenCRL=true:ecert', 'HF.IntermediateCA=true']) {
      expect(await command('U0ALICE', `cert register org1 ${id} --attrs ${attrs}`)).toMatch(
        /is a Fabric CA privilege \(hf\.\*\), which the bot does not grant; nothing was registered/i,
      );
      expect(await command('U0ADMIN1', `cert register org1 ${id} --attrs ${attrs}`)).toMatch(/Fabric CA privilege/);
    }
    expect(await record('org1', id)).toBeUndefined();
  });

  it('refuses an admin or orderer identity to an operator; the CA registers nothing', async () => {
    expect(await command('U0ALICE', `cert enroll org1 adm-${stamp} --type admin`)).toContain('needs the admin role (for an admin identity');
    expect(await command('U0ALICE', `cert register org1 ord-${stamp} --type orderer`)).toContain(
      'needs the admin role (for an orderer identity',
    );
    expect(await record('org1', `adm-${stamp}`)).toBeUndefined();
    expect(await record('org1', `ord-${stamp}`)).toBeUndefined();
  });

  it('enrolls an admin identity for an org admin only once another of the org’s admins approves, and marks it as the bot’s', async () => {
    const answer = await command('U0ADMIN1', `cert enroll org1 adm-${stamp} --type admin`);
    expect(answer).toContain('Asked org1 to approve');
    expect(await record('org1', `adm-${stamp}`)).toBeUndefined();
    expect(await approve(answer, 'U0ADMIN1B')).toContain('succeeded');
    const registered = await record('org1', `adm-${stamp}`);
    expect(registered?.type).toBe('admin');
    expect(registered?.attrs).toContainEqual(expect.objectContaining({ name: MANAGED_ATTRIBUTE, value: 'true' }));
  });

  it('refuses an org1 operator an identity in org2; org2’s CA registers nothing', async () => {
    expect(await command('U0ALICE', `cert enroll org2 cross-${stamp}`)).toContain("only org2's members may ask for it");
    expect(await record('org2', `cross-${stamp}`)).toBeUndefined();
  });
});

describe('identities the bot did not register are left as they are', () => {
  it('never re-secrets an identity registered with the CA’s own CLI: register and enroll fail, its secret still enrolls', async () => {
    const id = `foreign-${stamp}`;
    const secret = `pw-${stamp}`;
    await caCli('org1', [
      'register',
      '--id.name',
      id,
      '--id.secret',
      secret,
      '--id.type',
      'client',
      '--id.attrs',
      'app=legacy',
      '-u',
      caOf('org1').url,
    ]);
    const before = await record('org1', id);
    expect(await outcome(await command('U0ALICE', `cert register org1 ${id} --max-enrollments 5`))).toMatch(
      /failed.*already has an identity foreign-[a-z0-9]+ that fabric-chatops did not register/,
    );
    expect(await outcome(await command('U0ALICE', `cert enroll org1 ${id}`))).toMatch(/failed.*did not register/);
    expect(await record('org1', id)).toEqual(before);
    expect(await enrollsWith('org1', id, secret)).toBe(true);
  });

  it('leaves the CA’s bootstrap registrar alone: its password still enrolls it', async () => {
    expect(await outcome(await command('U0ALICE', 'cert register org1 registrar'))).toMatch(/failed.*registrar is org1's CA registrar/);
    expect(await outcome(await command('U0ALICE', 'cert enroll org1 registrar'))).toMatch(/failed.*registrar is org1's CA registrar/);
    expect(await enrollsWith('org1', 'registrar', bootstrapPassword('org1'))).toBe(true);
  });

  it('does not renew or revoke the org’s MSP admin (named by adminSecret), even with an approval', async () => {
    const admin = 'admin-org1';
    const { client, registrar } = registrarOf('org1');
    const serialsBefore = (await client.certificates(registrar, admin)).map((c) => c.serial).sort();
    expect(await outcome(await command('U0ALICE', `cert renew org1 ${admin}`))).toMatch(/failed.*admin-org1 is org1's MSP admin/);
    expect(await approve(await command('U0ALICE', `cert revoke org1 ${admin} --reason keycompromise`), 'U0ADMIN1')).toMatch(
      /failed.*admin-org1 is org1's MSP admin/,
    );
    expect((await client.certificates(registrar, admin)).map((c) => c.serial).sort()).toEqual(serialsBefore);
    expect(serialsBefore.length).toBeGreaterThan(0);
  });
});
