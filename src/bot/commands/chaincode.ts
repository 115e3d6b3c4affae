import { chaincodeName, chaincodeVersion, channelFlag, channelParam, objectName, orgName } from './arg-types.js';
import * as kinds from '../../jobs/catalog/kinds.js';
import { endorsementPolicyProblem, imageProblem } from '../../jobs/services/policy.js';
import { renderUsageError } from '../render/help.js';
import { ephemeral, orgArgument, submitted, type CommandSpec } from './types.js';

export const chaincodeDeploy: CommandSpec = {
  path: ['chaincode', 'deploy'],
  summary: 'Deploy a chaincode as a service on the network’s channel: server, package, install, approvals, commit',
  args: [
    { name: 'NAME', type: chaincodeName },
    { name: 'VERSION', type: chaincodeVersion },
  ],
  flags: [
    {
      name: 'image',
      value: { placeholder: 'IMAGE', type: { kind: 'string', pattern: /^[a-z0-9][a-z0-9./:@_-]{0,254}$/, hint: 'a container image' } },
      help: 'the chaincode server image (default NAME:VERSION)',
    },
    {
      name: 'address',
      value: { placeholder: 'HOST:PORT', type: { kind: 'string', pattern: /^[A-Za-z0-9.-]+:\d{1,5}$/, hint: 'host:port' } },
      help: 'where peers dial the server (default: its Service)',
    },
    {
      name: 'policy',
      value: {
        placeholder: 'POLICY',
        type: {
          kind: 'string',
          pattern: /^[A-Za-z0-9'().,\s_-]{1,1024}$/,
          hint: "a signature policy such as \"AND('Org1MSP.peer','Org2MSP.peer')\"",
        },
      },
      help: 'endorsement policy (default: the channel’s Endorsement policy)',
    },
    {
      name: 'collections',
      value: { placeholder: 'CONFIGMAP', type: objectName('ConfigMap') },
      help: 'private data collections: a ConfigMap with collections.json',
    },
  ],
  details:
    "Each org's approval runs its approveformyorg at once; the commit follows when the rule is met. " +
    '--image only from chaincode.allowedRegistries; a changed definition needs a new VERSION.',
  access: 'operator',
  approval: { orgs: 'all', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const policy = args.optionalString('policy');
    const problem = policy === undefined ? undefined : endorsementPolicyProblem(policy);
    if (problem !== undefined)
      return ephemeral(
        renderUsageError(`--policy: ${problem}`, [
          `${ctx.services.commandName} chaincode deploy NAME VERSION --policy "AND('Org1MSP.peer','Org2MSP.peer')"`,
        ]),
      );
    const image = args.optionalString('image');
    const refused = imageProblem(ctx.services.config, image);
    if (refused !== undefined) {
      const registry = ctx.services.config.chaincode.allowedRegistries[0] ?? 'REGISTRY';
      return ephemeral(
        renderUsageError(refused, [`${ctx.services.commandName} chaincode deploy NAME VERSION --image ${registry}/NAME:VERSION`]),
      );
    }
    const params = {
      ...(policy === undefined ? {} : { policy }),
      ...(args.has('collections') ? { collections: args.string('collections') } : {}),
      name: args.string('NAME'),
      version: args.string('VERSION'),
      ...(args.has('image') ? { image: args.string('image') } : {}),
      ...(args.has('address') ? { address: args.string('address') } : {}),
    };
    return submitted(await ctx.submit(kinds.chaincodeDeploy, params), `deploy ${params.name} ${params.version}`);
  },
};

export const chaincodeApprove: CommandSpec = {
  path: ['chaincode', 'approve'],
  summary: 'Approve, as an org, the chaincode definition committed on a channel as it is (an org that joined the channel does this)',
  args: [
    { name: 'NAME', type: chaincodeName },
    { name: 'ORG', type: orgName },
  ],
  flags: [channelFlag],
  details:
    'The org’s peers get the package a member org’s peers run the chaincode from, then the org approves the committed ' +
    'definition (version, sequence, endorsement policy, collections) as it is: its peers endorse the chaincode from then on. ' +
    'An admin of the org asks it: the approval is that admin’s.',
  access: 'admin',
  target: orgArgument('ORG'),
  async run(ctx, args) {
    const params = {
      name: args.string('NAME'),
      org: args.string('ORG'),
      ...channelParam(args),
    };
    return submitted(await ctx.submit(kinds.chaincodeApproveCommitted, params), `approve ${params.name} as ${params.org}`);
  },
};
