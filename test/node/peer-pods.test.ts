import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startEnvironment, type EnvDetails, type Environment } from '../infra/env/environment.js';
import { ledgerHeight, peerCli as runPeerCli } from '../infra/env/peer-cli.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually, kubectl } from './support.js';

// `peers scale` on the real node: the bot enrolls the new peer, the StatefulSet of
// manifests/fabric-org/org1-peer.yaml makes its pod, the pod's init container writes the
// identity the bot stored, a real peer starts from it, and the bot joins it to the channel.
let env: Environment;
let details: EnvDetails;
let stack: Stack;
const POD = 'org1-peer-1';

beforeAll(async () => {
  env = await startEnvironment({ realNode: true, peerPods: true });
  details = env.details;
  process.stdout.write(`environment with peer pods up in ${(env.startedInMs / 1000).toFixed(1)} s\n`);
  // Blocks for the new peer to catch up on: three chaincode approvals by org1 (a block each).
  const org1 = details.fabric.peers.find((p) => p.org === 'org1')?.address as string;
  const orderer = ['-o', details.fabric.orderer.address, '--tls', '--cafile', details.fabric.orderer.tlsRootCert];
  for (const name of ['cc1', 'cc2', 'cc3']) {
    const approve = ['lifecycle', 'chaincode', 'approveformyorg', '-C', details.fabric.channel, '-n', name, '-v', '1', '--sequence', '1'];
    await peerCli([...approve, '--package-id', `${name}:00`, '--waitForEvent', ...orderer], org1);
  }
  expect(await height(org1)).toBe(4);
  stack = await startStack({
    channels: ['C0OPS', 'C0ALERTS'],
    users: ['U0ALICE', 'U0ADMIN1'],
    config: details.botConfig,
    // peers.podAddress names the cluster's DNS server (see the README): grpc-js asks it only so.
    env: { KUBECONFIG: details.kubeconfig, GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true' },
  });
}, 1_800_000);

afterAll(async () => {
  await stack?.stop();
  await env?.stop();
}, 180_000);

const peerCli = (args: string[], address: string): Promise<string> => runPeerCli(details, 'org1', args, { address });
const height = (address: string, serverName?: string): Promise<number> =>
  ledgerHeight(details, 'org1', { address, ...(serverName === undefined ? {} : { serverName }) });
const pod = (jsonpath: string): Promise<string> =>
  kubectl(details, ['get', 'pod', '-n', details.namespace, POD, '-o', `jsonpath=${jsonpath}`]);

it('/fabric peers scale org1 1 makes a real peer pod from the identity the bot enrolled, joined and caught up', async () => {
  const answer = await (await stack.command('peers scale org1 1', { user: 'U0ALICE' })).answer(20_000);
  const id = /request `([a-z0-9]+)`/.exec(answer.text ?? '')?.[1] as string;
  expect(id).toBeDefined();
  const card = await eventually('the approval card', async () =>
    stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
  );
  const approved = Date.now();
  await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
  const done = await eventually(
    'the job to end',
    async () => stack.slack.messages('C0OPS').find((m) => !m.ephemeral && /peers scaled from|failed/.test(JSON.stringify(m.blocks ?? []))),
    240_000,
  ).catch(async (err: Error) => {
    // Why the pod is not running, as Kubernetes says it, and where the job is.
    const describe = await kubectl(details, ['describe', 'pod', '-n', details.namespace, POD]).catch((e: Error) => e.message);
    // What the identity init container said, this run and the one before (a crash loop's reason).
    const said = async (previous: boolean) =>
      kubectl(details, ['logs', '-n', details.namespace, POD, '-c', 'identity', ...(previous ? ['--previous'] : [])]).catch(
        (e: Error) => e.message,
      );
    const init = `${await said(true)}\n${await said(false)}`;
    const job = stack.slack.messages('C0OPS').map((m) => stack.lastText(m).slice(0, 800));
    throw new Error(
      `${err.message}\n--- kubectl describe pod ${POD}:\n${describe}\n--- its identity init container:\n${init}\n--- C0OPS:\n${job.join('\n')}`,
    );
  });
  process.stdout.write(`peers scale org1 1, approval to joined and caught up: ${((Date.now() - approved) / 1000).toFixed(1)} s\n`);
  const said = JSON.stringify(done.blocks);
  expect(said).toContain('succeeded');
  expect(said).toContain(`${POD}: enrolled`);
  expect(said).toContain(`${POD}: joined mychannel`);
  expect(said).toContain('as its siblings');
}, 300_000);

it('the pod runs on the real node; kubectl exec runs `peer version` in it and its log shows the peer starting as itself', async () => {
  expect(await pod('{.spec.nodeName}')).toBe(details.realNode?.name);
  expect(await pod('{.status.phase}')).toBe('Running');
  const version = await kubectl(details, ['exec', '-n', details.namespace, POD, '-c', 'peer', '--', 'peer', 'version']);
  expect(version).toMatch(/^peer:\n Version: /);
  const log = await kubectl(details, ['logs', '-n', details.namespace, POD, '-c', 'peer']);
  expect(log).toContain(`Started peer with ID=[${POD}]`);
  expect(log).toContain('Created ledger [mychannel] with genesis block');
  expect(log).toContain('Pulling next blocks from ordering service');
  const init = await kubectl(details, ['logs', '-n', details.namespace, POD, '-c', 'identity']);
  expect(init).toContain(`wrote ${POD}'s MSP (Org1MSP)`);
  expect(init).not.toContain('PRIVATE KEY');
});

it('its ledger is where the pod reads it, on a volume the node provisioned, at the height of peer0', async () => {
  const claim = await kubectl(details, ['get', 'pvc', '-n', details.namespace, `ledger-${POD}`, '-o', 'jsonpath={.status.phase}']);
  expect(claim).toBe('Bound');
  // The volume is made for the node the scheduler chose: the pod is never turned away for an
  // unbound claim (which could leave it in the unschedulable queue for 5 minutes).
  const events = await kubectl(details, [
    'get',
    'events',
    '-n',
    details.namespace,
    '--field-selector',
    `involvedObject.name=${POD}`,
    '-o',
    'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
  ]);
  expect(events).toContain('Scheduled: Successfully assigned');
  expect(events).not.toContain('FailedScheduling');
  const ip = await pod('{.status.podIP}');
  const serverName = `${POD}.org1-peer.${details.namespace}.svc`;
  const peer0 = details.fabric.peers.find((p) => p.org === 'org1')?.address as string;
  const [mine, theirs] = await Promise.all([height(`${ip}:7051`, serverName), height(peer0)]);
  expect(mine).toBe(theirs);
  expect(mine).toBeGreaterThanOrEqual(4);
});

it('the peer container holds no API token; only the init container had one', async () => {
  const ls = kubectl(details, [
    'exec',
    '-n',
    details.namespace,
    POD,
    '-c',
    'peer',
    '--',
    'ls',
    '/var/run/secrets/kubernetes.io/serviceaccount',
  ]);
  await expect(ls).rejects.toThrow(/No such file or directory/);
  expect(await kubectl(details, ['exec', '-n', details.namespace, POD, '-c', 'peer', '--', 'ls', '/fabric/identity'])).toMatch(/msp\s+tls/);
});
