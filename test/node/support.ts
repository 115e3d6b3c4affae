import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { binary } from '../infra/env/binaries.js';
import type { EnvDetails } from '../infra/env/environment.js';
import { realNodePlacement } from '../infra/env/real-node/placement.js';

const run = promisify(execFile);

export type RealNode = NonNullable<EnvDetails['realNode']>;

/** kubectl against the environment, as a person would run it; stdin from `input`. */
export async function kubectl(env: EnvDetails, args: string[], input?: string): Promise<string> {
  const child = run(binary('kubectl'), args, { env: { ...process.env, KUBECONFIG: env.kubeconfig }, timeout: 90_000 });
  if (input !== undefined) child.child.stdin?.end(input);
  const { stdout } = await child;
  return stdout;
}

export async function apply(env: EnvDetails, manifest: object): Promise<void> {
  await kubectl(env, ['apply', '-f', '-'], JSON.stringify(manifest));
}

/** A busybox pod for the real node: scheduled there by its hostname label, tolerating its taint. */
export function busyboxPod(
  node: RealNode,
  namespace: string,
  name: string,
  command: string[],
  extra: { memoryLimit?: string; ready?: boolean; privileged?: boolean } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      ...realNodePlacement(node),
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: node.images.busybox,
          imagePullPolicy: 'Never',
          command,
          ...(extra.memoryLimit === undefined ? {} : { resources: { limits: { memory: extra.memoryLimit } } }),
          ...(extra.ready === true ? { readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 } } : {}),
          ...(extra.privileged === true ? { securityContext: { privileged: true } } : {}),
        },
      ],
    },
  };
}

/** Polls `check` until it returns a value, for what converges (kube-proxy's rules, DNS records). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${timeoutMs / 1000} s${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A container of an image-test pod; the pod fills in the pull policy and security settings. */
export interface TestContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  readinessProbe?: object;
}

/**
 * A pod on the real node that runs as its images' own user: runAsNonRoot without runAsUser, so
 * the kubelet refuses an image whose user is root or not numeric. Pod Security "restricted".
 */
export function nonRootPod(node: RealNode, namespace: string, name: string, containers: TestContainer[]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      ...realNodePlacement(node),
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: containers.map((c) => ({
        ...c,
        imagePullPolicy: 'Never',
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      })),
    },
  };
}
