import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { binary, infraDir } from '../binaries.js';
import { createObjects } from './peer-pods.js';
import { onRealNode } from './placement.js';

const run = promisify(execFile);
const manifests = path.join(infraDir, '..', '..', 'manifests');
/** The images manifests/base names, and what the harness built for them. */
const SHIPPED_IMAGES = { bot: 'fabric-chatops:latest', redis: 'redis:7.2' };
export const BOT_NAMESPACE = 'fabric-chatops';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects read from YAML, walked generically.
type Manifest = Record<string, any>;

/** What an operator provides when deploying: credentials, configuration, images. */
export interface BotDeployment {
  images: { bot: string; redis: string };
  slack: { apiUrl: string; botToken: string; signingSecret: string };
  redisPassword: string;
  /** The bot's config.yaml (the ConfigMap fabric-chatops-config). */
  config: string;
  /** The Fabric namespace the workers manage (overlays/demo's managed-namespace.yaml, renamed). */
  managedNamespace: string;
}

/**
 * manifests/base as a user applies it (kubectl kustomize), with the two Secrets it asks the user
 * to create, the configuration filled in, and overlays/demo's RBAC for the managed namespace;
 * adapted to the real node only where a registry or a second node would be needed: images built
 * here (never pulled), the node selected and its taint tolerated, one replica each.
 */
export async function botManifests(d: BotDeployment): Promise<Manifest[]> {
  const { stdout } = await run(binary('kubectl'), ['kustomize', path.join(manifests, 'base')]);
  const docs = parseAllDocuments(stdout).map((doc) => doc.toJS() as Manifest);
  const managed = parseAllDocuments(readFileSync(path.join(manifests, 'overlays', 'demo', 'managed-namespace.yaml'), 'utf8'))
    .map((doc) => doc.toJS() as Manifest)
    .filter((doc) => doc !== null);
  for (const doc of managed) doc.metadata.namespace = d.managedNamespace;
  for (const doc of docs) {
    if (doc.kind === 'ConfigMap' && doc.metadata.name === 'fabric-chatops-config') doc.data['config.yaml'] = d.config;
    if (doc.kind !== 'Deployment' && doc.kind !== 'StatefulSet') continue;
    doc.spec.replicas = 1;
    onRealNode(doc.spec.template.spec, { [SHIPPED_IMAGES.bot]: d.images.bot, [SHIPPED_IMAGES.redis]: d.images.redis });
  }
  const secret = (name: string, stringData: Record<string, string>): Manifest => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: BOT_NAMESPACE },
    stringData,
  });
  const namespace = docs.filter((doc) => doc.kind === 'Namespace');
  return [
    ...namespace,
    secret('fabric-chatops-redis', { password: d.redisPassword }),
    secret('fabric-chatops-slack', {
      SLACK_BOT_TOKEN: d.slack.botToken,
      SLACK_SIGNING_SECRET: d.slack.signingSecret,
      SLACK_API_URL: d.slack.apiUrl,
    }),
    ...docs.filter((doc) => doc.kind !== 'Namespace'),
    ...managed,
  ];
}

/** Creates the bot's objects and waits until the bot, the worker and Redis are Ready. */
export async function deployBot(kubeconfigPath: string, d: BotDeployment): Promise<void> {
  await createObjects(kubeconfigPath, await botManifests(d));
  const kubectl = (args: string[]) => run(binary('kubectl'), [`--kubeconfig=${kubeconfigPath}`, '-n', BOT_NAMESPACE, ...args]);
  for (const workload of ['statefulset/redis', 'deployment/fabric-chatops-bot', 'deployment/fabric-chatops-worker'])
    await kubectl(['rollout', 'status', workload, '--timeout=180s']);
}
