import * as kinds from '../kinds.js';
import { handle, type JobEntry } from '../../engine/worker.js';
import { certEnroll, certRegister, certRenew, certRevoke } from './cert.js';
import { chaincodeApproveForOrg, chaincodeDeploy } from './chaincode-deploy.js';
import { channelPlan, channelSign, channelUpdate } from './channel-update.js';
import { channelCreate } from './channel-create.js';
import { chaincodeApproveCommitted } from './chaincode-approve.js';
import { peersScale } from './peers-scale.js';
import { ping } from './ping.js';
import { podRestart } from './pod-restart.js';

/** What runs each kind of job this project ships (kinds.ts declares them). */
export const jobHandlers: readonly JobEntry[] = [
  handle(kinds.ping, ping),
  handle(kinds.peersScale, peersScale),
  handle(kinds.podRestart, podRestart),
  handle(kinds.certEnroll, certEnroll),
  handle(kinds.certRegister, certRegister),
  handle(kinds.certRevoke, certRevoke),
  handle(kinds.certRenew, certRenew),
  handle(kinds.chaincodeDeploy, chaincodeDeploy),
  handle(kinds.chaincodeApproveOrg, chaincodeApproveForOrg),
  handle(kinds.channelPlan, channelPlan),
  handle(kinds.channelSign, channelSign),
  handle(kinds.channelAcl, channelUpdate),
  handle(kinds.channelAnchors, channelUpdate),
  handle(kinds.channelAddOrg, channelUpdate),
  handle(kinds.channelRemoveOrg, channelUpdate),
  handle(kinds.channelCrl, channelUpdate),
  handle(kinds.channelBatch, channelUpdate),
  handle(kinds.channelCapability, channelUpdate),
  handle(kinds.channelConsenter, channelUpdate),
  handle(kinds.channelCreate, channelCreate),
  handle(kinds.chaincodeApproveCommitted, chaincodeApproveCommitted),
];
