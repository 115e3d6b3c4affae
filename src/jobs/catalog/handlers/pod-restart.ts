import type * as kinds from '../kinds.js';
import { apiStatus } from '../../../k8s/client.js';
import { fabricSelector } from '../../../k8s/labels.js';
import { PermanentError } from '../../engine/errors.js';
import { networkNamed } from '../../services/platform.js';
import type { JobHandler } from '../../engine/worker.js';

/** Deletes a Fabric pod of the network so its controller recreates it. */
export const podRestart: JobHandler<typeof kinds.podRestart> = async (ctx, { pod }) => {
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const kube = ctx.platform.kube();
  const uid = await ctx.step({ key: 'find-the-pod', title: 'Find the pod' }, async (note) => {
    const list = await kube.core.listNamespacedPod({
      namespace: network.namespace,
      labelSelector: fabricSelector,
      fieldSelector: `metadata.name=${pod}`,
    });
    const found = list.items[0];
    if (found === undefined) throw new PermanentError(`no Fabric pod ${pod} in ${network.namespace}`);
    await note(`${pod} on ${found.spec?.nodeName ?? 'no node'}`);
    return found.metadata?.uid ?? '';
  });
  await ctx.step({ key: 'delete-it', title: 'Delete it' }, async (note) => {
    try {
      // The uid precondition makes a retry after a crash harmless: it never deletes the replacement.
      await kube.core.deleteNamespacedPod({ name: pod, namespace: network.namespace, body: { preconditions: { uid } } });
      await note('deleted; its controller creates a new one');
    } catch (err) {
      const status = apiStatus(err);
      if (status !== 404 && status !== 409) throw err;
      await note('already gone');
    }
  });
  return { summary: `${pod} restarted`, fields: [{ label: 'Pod', value: `${network.namespace}/${pod}` }] };
};
