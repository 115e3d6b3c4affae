/**
 * The init container of a peer pod (manifests/fabric-org): reads the identity the bot enrolled
 * for this pod, the Secret <org>-id-<pod>, and writes it where the peer reads its MSP and TLS
 * material. Only this container holds an API token, one that may read no Secret but the org's
 * peer identities; the peer container that serves the network holds none.
 *
 *   POD_NAME, NAMESPACE (downward API), ORG; IDENTITY_DIR (default /fabric/identity);
 *   IDENTITY_WAIT_SECONDS (default 20): how long to wait for the Secret before failing. The bot
 *   writes it before it scales, so a missing Secret is a fault (the pod was scaled by hand, or
 *   its identity deleted): the container fails, and the kubelet's back-off makes it a visible
 *   Init:CrashLoopBackOff, which the bot's pod alerts report.
 */
import { nodeIdentityFiles, writeNodeFiles } from './fabric/node-files.js';
import { connectKube } from './k8s/client.js';
import { identitySecretName, readIdentity } from './k8s/identities.js';
import { pollUntil } from './retry.js';

const say = (line: string): void => void process.stdout.write(`peer-identity: ${line}\n`);

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new Error(`${name} is not set (see manifests/fabric-org: the init container's env)`);
  return value;
}

async function main(): Promise<void> {
  const pod = required('POD_NAME');
  const namespace = required('NAMESPACE');
  const org = required('ORG');
  const dir = process.env.IDENTITY_DIR?.trim() || '/fabric/identity';
  const waitSeconds = Number(process.env.IDENTITY_WAIT_SECONDS ?? '20');
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0)
    throw new Error(`IDENTITY_WAIT_SECONDS must be a whole number of seconds, not ${JSON.stringify(process.env.IDENTITY_WAIT_SECONDS)}`);
  const secret = identitySecretName({ network: '', org, name: pod });
  const kube = connectKube();
  say(`waiting for Secret ${namespace}/${secret} (the bot writes it when it enrolls ${pod})`);
  const identity = await pollUntil(() => readIdentity(kube, namespace, secret), {
    everyMs: 2000,
    withinMs: waitSeconds * 1000,
    timedOut: () =>
      new Error(
        `Secret ${namespace}/${secret} did not appear within ${waitSeconds} s: scale peers with the bot (/fabric peers scale ${org} N), which enrolls each new peer`,
      ),
  });
  writeNodeFiles(dir, nodeIdentityFiles(identity));
  say(`wrote ${pod}'s MSP (${identity.mspId}) and TLS certificate to ${dir}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`peer-identity: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
