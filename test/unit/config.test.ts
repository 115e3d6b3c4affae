import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exampleConfigPath } from '../../src/config/load.js';

const main = path.resolve('dist/main.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'fco-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runMain(env: Record<string, string>, args: string[] = []): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [main, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('configuration at start', () => {
  it('exits non-zero and names every one of three mistakes, without a stack trace', () => {
    const file = path.join(scratch, 'bad.yaml');
    writeFileSync(
      file,
      [
        'networks:',
        '  - name: prod',
        '    namespace: Fabric_Prod', // mistake 1: not a DNS-1123 label
        '    channels: [C0PROD]',
        '    orgs:',
        '      - name: org1',
        '        mspId: Org1MSP',
        '        ca: { url: "not a url", registrarSecret: org1-registrar }', // mistake 2
        '        peers: { statefulSet: org1-peer, service: org1-peer }',
        'members:',
        '  - { user: U0ALICE, network: prod, org: org9, role: operator }', // mistake 3: unknown org
      ].join('\n'),
    );
    const r = runMain({ FABRIC_CHATOPS_CONFIG: file, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'secret' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('3 problems');
    expect(r.stderr).toContain('networks[0].namespace: must be a DNS-1123 label');
    expect(r.stderr).toContain('networks[0].orgs[0].ca.url:');
    expect(r.stderr).toContain('members[0].org: network prod has no org named org9');
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('names missing Slack settings in the environment', () => {
    const r = runMain({ FABRIC_CHATOPS_CONFIG: exampleConfigPath, SLACK_BOT_TOKEN: 'not-a-token' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('SLACK_BOT_TOKEN: must be a bot token');
    expect(r.stderr).toContain('SLACK_SIGNING_SECRET: required');
  });

  it('accepts the bundled example', () => {
    const r = runMain({}, ['--check-config']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('example.yaml: ok');
  });

  it('reports YAML syntax errors as configuration problems', () => {
    const file = path.join(scratch, 'broken.yaml');
    writeFileSync(file, 'networks: [\n  - name: x\n');
    const r = runMain({ FABRIC_CHATOPS_CONFIG: file }, ['--check-config']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('YAML:');
  });

  it('names unknown keys by their path, and a policy for a command that does not exist', () => {
    const file = path.join(scratch, 'typos.yaml');
    writeFileSync(
      file,
      [
        'networks:',
        '  - name: prod',
        '    namespace: fabric-prod',
        '    channels: [C0PROD]',
        '    alertChanel: C0ALERTS', // misspelt: would silently mean "no alert channel"
        '    orgs: []',
        'jobs: { attemps: 3 }',
        'policies:',
        '  "peers scal": { role: admin }', // would silently govern nothing
        '  "peers scale": { role: admin, aproval: none }',
      ].join('\n'),
    );
    const r = runMain({ FABRIC_CHATOPS_CONFIG: file }, ['--check-config']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('networks[0].alertChanel: unknown key');
    expect(r.stderr).toContain('jobs.attemps: unknown key');
    expect(r.stderr).toContain('policies."peers scale".aproval: unknown key');
    expect(r.stderr).toContain('policies."peers scal": no command peers scal');
    expect(r.stderr).toContain('4 problems');
  });

  it('refuses a channel that serves two networks, as a command channel of one and the alert channel of another or of both', () => {
    const file = path.join(scratch, 'overlap.yaml');
    writeFileSync(
      file,
      [
        'networks:',
        '  - { name: a, namespace: ns-a, channels: [C0A, C0SHARED], alertChannel: C0ALERTS }',
        '  - { name: b, namespace: ns-b, channels: [C0B], alertChannel: C0SHARED }',
        '  - { name: c, namespace: ns-c, channels: [C0C], alertChannel: C0ALERTS }',
        '  - { name: d, namespace: ns-d, channels: [C0D], alertChannel: C0D }', // its own: fine
      ].join('\n'),
    );
    const r = runMain({ FABRIC_CHATOPS_CONFIG: file }, ['--check-config']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("networks[1].alertChannel: channel C0SHARED is already network a's command channel");
    expect(r.stderr).toContain("networks[2].alertChannel: channel C0ALERTS is already network a's alert channel");
    expect(r.stderr).toContain('2 problems');
  });

  it('validates with the Node the project ships: `npm run check-config` works where the machine’s node is older', () => {
    const r = spawnSync('npm', ['run', '--silent', 'check-config'], {
      env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, FABRIC_CHATOPS_CONFIG: exampleConfigPath },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).not.toContain('SyntaxError');
    expect(r.stdout).toContain('example.yaml: ok');
    expect(r.status).toBe(0);
  });
});
