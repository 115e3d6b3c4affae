import type { JobHandlers } from '../worker.js';
import { certEnroll, certRegister, certRenew, certRevoke } from './cert.js';
import { chaincodeApproveForOrg, chaincodeDeploy } from './chaincode-deploy.js';
import { peersScale } from './peers-scale.js';
import { ping } from './ping.js';
import { podRestart } from './pod-restart.js';

/** The handler of every job type (jobs/params.ts declares their params). A command enqueues one of these. */
export const jobHandlers: JobHandlers = {
  ping,
  'peers.scale': peersScale,
  'pod.restart': podRestart,
  'cert.enroll': certEnroll,
  'cert.register': certRegister,
  'cert.revoke': certRevoke,
  'cert.renew': certRenew,
  'chaincode.deploy': chaincodeDeploy,
  'chaincode.approve-org': chaincodeApproveForOrg,
};
