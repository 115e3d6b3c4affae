/** Argument types shared by several commands: each says what it accepts in its hint. */

/** A DNS-1123 label: an org name is part of Kubernetes object names (<org>-peer, <org>-id-…). */
export const orgName = {
  kind: 'string',
  pattern: /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
  hint: 'an org name (lower-case letters, digits and inner "-", at most 63)',
} as const;

/** An orderer's name in the network's configuration (networks[].orderers), a DNS-1123 label too. */
export const ordererName = { ...orgName, hint: 'an orderer name (lower-case letters, digits and inner "-", at most 63)' } as const;

/** A Fabric channel name. */
export const channelNameType = { kind: 'string', pattern: /^[a-z][a-z0-9.-]{0,248}$/, hint: 'a Fabric channel name' } as const;

/** --channel, for commands that act on one of the network's channels. */
export const channelFlag = {
  name: 'channel',
  value: { placeholder: 'CHANNEL', type: channelNameType },
  help: 'the channel (default: the network’s first)',
} as const;

/** The `channel` param of a command given --channel; none (the network's first) otherwise. */
export const channelParam = (args: { has(name: string): boolean; string(name: string): string }) =>
  args.has('channel') ? { channel: args.string('channel') } : {};

/** Fabric's chaincode name rule, lower case only because the name is also a Kubernetes object name. */
export const chaincodeName = {
  kind: 'string',
  pattern: /^(?=.{1,40}$)[a-z0-9]+(?:[-_][a-z0-9]+)*$/,
  hint: 'a chaincode name (lower-case letters and digits, joined by single "-" or "_", at most 40)',
} as const;

/** Fabric's version rule without "+", which the default image tag NAME:VERSION could not hold. */
export const chaincodeVersion = {
  kind: 'string',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/,
  hint: 'a version such as 1.0 (letters, digits, ".", "_", "-"; at most 32)',
} as const;

/** A DNS-1123 subdomain, as pod, ConfigMap and Secret names are. */
export const objectName = (what: string) =>
  ({
    kind: 'string',
    pattern: /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/,
    hint: `a ${what} name (a DNS-1123 subdomain)`,
  }) as const;
