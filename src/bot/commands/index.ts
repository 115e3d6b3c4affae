import { approvals } from './approvals.js';
import { audit } from './audit.js';
import { certEnroll, certExpiring, certList, certRegister, certRenew, certRevoke, certShow } from './cert.js';
import { chaincodeApprove, chaincodeDeploy } from './chaincode.js';
import {
  channelAcl,
  channelAddOrg,
  channelAnchors,
  channelBatch,
  channelCapability,
  channelConsenter,
  channelCreate,
  channelCrl,
  channelRemoveOrg,
  channelShow,
} from './channel.js';
import { help } from './help.js';
import { cancel, job, jobs } from './jobs.js';
import { peersScale } from './peers.js';
import { ping } from './ping.js';
import { podsLogs, podsRestart } from './pods.js';
import { metrics, status } from './status.js';
import type { CommandSpec } from './types.js';

/** Every subcommand of the slash command. Adding a command means adding its declaration here. */
export const commands: readonly CommandSpec[] = [
  help,
  status,
  metrics,
  peersScale,
  podsLogs,
  podsRestart,
  certRegister,
  certEnroll,
  certRenew,
  certRevoke,
  certList,
  certShow,
  certExpiring,
  chaincodeDeploy,
  chaincodeApprove,
  channelShow,
  channelAcl,
  channelAnchors,
  channelAddOrg,
  channelRemoveOrg,
  channelCrl,
  channelBatch,
  channelCapability,
  channelConsenter,
  channelCreate,
  ping,
  jobs,
  job,
  cancel,
  approvals,
  audit,
];
