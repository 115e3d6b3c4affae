import * as kinds from '../kinds.js';
import type { JobKind } from '../kind.js';
import { handle, type JobEntry, type JobHandler } from '../../engine/worker.js';

/**
 * A handler whose module is imported when its first job runs: the handlers bring the Fabric SDKs
 * and gRPC with them, which a worker that has run no such job does not need to hold.
 */
function onFirstJob<K extends JobKind>(kind: K, load: () => Promise<JobHandler<K>>): JobEntry {
  let loading: Promise<JobHandler<K>> | undefined;
  return handle(kind, async (ctx, params) => {
    loading ??= load();
    return (await loading)(ctx, params);
  });
}

const cert = () => import('./cert.js');
const deploy = () => import('./chaincode-deploy.js');
const update = () => import('./channel-update.js');

/** What runs each kind of job this project ships (kinds.ts declares them). */
export const jobHandlers: readonly JobEntry[] = [
  onFirstJob(kinds.ping, async () => (await import('./ping.js')).ping),
  onFirstJob(kinds.peersScale, async () => (await import('./peers-scale.js')).peersScale),
  onFirstJob(kinds.podRestart, async () => (await import('./pod-restart.js')).podRestart),
  onFirstJob(kinds.certEnroll, async () => (await cert()).certEnroll),
  onFirstJob(kinds.certRegister, async () => (await cert()).certRegister),
  onFirstJob(kinds.certRevoke, async () => (await cert()).certRevoke),
  onFirstJob(kinds.certRenew, async () => (await cert()).certRenew),
  onFirstJob(kinds.chaincodeDeploy, async () => (await deploy()).chaincodeDeploy),
  onFirstJob(kinds.chaincodeApproveOrg, async () => (await deploy()).chaincodeApproveForOrg),
  onFirstJob(kinds.channelPlan, async () => (await update()).channelPlan),
  onFirstJob(kinds.channelSign, async () => (await update()).channelSign),
  ...[
    kinds.channelAcl,
    kinds.channelAnchors,
    kinds.channelAddOrg,
    kinds.channelRemoveOrg,
    kinds.channelCrl,
    kinds.channelBatch,
    kinds.channelCapability,
    kinds.channelConsenter,
  ].map((kind) => onFirstJob(kind, async () => (await update()).channelUpdate)),
  onFirstJob(kinds.channelCreate, async () => (await import('./channel-create.js')).channelCreate),
  onFirstJob(kinds.chaincodeApproveCommitted, async () => (await import('./chaincode-approve.js')).chaincodeApproveCommitted),
];
