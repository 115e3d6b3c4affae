import { objectName } from './arg-types.js';
import { podLogTail } from '../../k8s/pod-watch.js';
import { logBlock } from '../render/alert.js';
import { escapeMrkdwn, section } from '../render/text.js';
import { ephemeral, submitted, type CommandSpec } from './types.js';

const podName = objectName('pod');

export const podsLogs: CommandSpec = {
  path: ['pods', 'logs'],
  summary: "Show the last lines a Fabric pod's container wrote",
  args: [{ name: 'POD', type: podName }],
  access: 'viewer',
  async run(ctx, args) {
    const pod = args.string('POD');
    const namespace = ctx.network?.namespace ?? '';
    const tail = await podLogTail(ctx.services.platform.kube(), namespace, pod, 40);
    return ephemeral({ text: `Logs of ${pod}`, blocks: [section(`Last lines of \`${escapeMrkdwn(pod)}\` in \`${escapeMrkdwn(namespace)}\``), logBlock(tail)] });
  },
};

export const podsRestart: CommandSpec = {
  path: ['pods', 'restart'],
  summary: 'Restart a Fabric pod (deleted, then recreated by its controller)',
  args: [{ name: 'POD', type: podName }],
  access: 'operator',
  approval: { orgs: 'requester', rule: 'ANY', approverRole: 'admin' },
  async run(ctx, args) {
    const pod = args.string('POD');
    return submitted(await ctx.submit('pod.restart', { pod }), `restart ${pod}`);
  },
};
