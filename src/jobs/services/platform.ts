import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config, NetworkConfig, OrdererOrgConfig, OrgConfig } from '../../config/model.js';
import { connectKube, type Kube, type KubeOptions } from '../../k8s/client.js';
import { PermanentError } from '../engine/errors.js';
import { memoryCreatedChannels, type CreatedChannels } from './created-channels.js';

/** What jobs and queries act on, created once per process. */
export interface Platform {
  config: Config;
  /** The Kubernetes clients; throws a PermanentError naming the fix when none is configured. */
  kube(): Kube;
  /** The channels `channel create` made, which the channel commands manage beside the configured ones. */
  createdChannels: CreatedChannels;
}

export function createPlatform(
  config: Config,
  kubeconfigPath: string | undefined,
  kubeOptions: KubeOptions = {},
  createdChannels: CreatedChannels = memoryCreatedChannels(),
): Platform {
  let kube: Kube | undefined;
  return {
    config,
    createdChannels,
    kube() {
      if (kube === undefined) {
        // Without any of these the client would quietly dial http://localhost:8080.
        if (
          kubeconfigPath === undefined &&
          process.env.KUBERNETES_SERVICE_HOST === undefined &&
          !existsSync(path.join(os.homedir(), '.kube', 'config'))
        ) {
          throw new PermanentError('Kubernetes is not configured: set KUBECONFIG, or run the worker in a cluster');
        }
        try {
          kube = connectKube(kubeconfigPath, kubeOptions);
        } catch (err) {
          throw new PermanentError(
            `Kubernetes is not configured (${err instanceof Error ? err.message : String(err)}): ` +
              'set KUBECONFIG, or run the worker in a cluster',
          );
        }
      }
      return kube;
    },
  };
}

export function networkNamed(config: Config, name: string | undefined): NetworkConfig {
  const network = config.networks.find((n) => n.name === name);
  if (network === undefined) throw new PermanentError(`no network named ${name ?? '(none)'} in the configuration`);
  return network;
}

/** An org whose admins sign channel changes: one of the network's orgs or of its ordering orgs. */
export function signingOrgNamed(network: NetworkConfig, org: string): OrgConfig | OrdererOrgConfig {
  const found = network.orgs.find((o) => o.name === org) ?? network.ordererOrgs.find((o) => o.name === org);
  if (found === undefined) {
    const all = [...network.orgs, ...network.ordererOrgs].map((o) => o.name);
    throw new PermanentError(`network ${network.name} has no org ${org}; its orgs are ${all.join(', ') || '(none)'}`);
  }
  return found;
}

export function orgNamed(network: NetworkConfig, org: string): OrgConfig {
  const found = network.orgs.find((o) => o.name === org);
  if (found === undefined) {
    throw new PermanentError(
      `network ${network.name} has no org ${org}; its orgs are ${network.orgs.map((o) => o.name).join(', ') || '(none)'}`,
    );
  }
  return found;
}
