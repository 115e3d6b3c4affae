import type { Redis } from 'ioredis';
import type { NetworkConfig } from '../../config/model.js';
import { KEY_PREFIX } from '../engine/redis.js';
import { PermanentError } from '../engine/errors.js';

/** The Fabric channels `channel create` made, per network: the channel commands act on them as on the configured ones. */
export interface CreatedChannels {
  /** Oldest first. */
  list(network: string): Promise<string[]>;
  add(network: string, channel: string): Promise<void>;
}

const createdKey = (network: string): string => `${KEY_PREFIX}:network:${network}:created-channels`;

export function redisCreatedChannels(redis: Redis): CreatedChannels {
  return {
    list: (network) => redis.zrange(createdKey(network), '0', '-1'),
    async add(network, channel) {
      // NX: a re-run keeps the channel's first place.
      await redis.zadd(createdKey(network), 'NX', String(Date.now()), channel);
    },
  };
}

/** For a process without Redis (tools, tests of one process): forgotten when it exits. */
export function memoryCreatedChannels(): CreatedChannels {
  const created = new Map<string, string[]>();
  return {
    list: async (network) => [...(created.get(network) ?? [])],
    async add(network, channel) {
      const known = created.get(network) ?? [];
      if (!known.includes(channel)) created.set(network, [...known, channel]);
    },
  };
}

/** The channels the bot manages on a network: its configuration's `fabricChannels`, then those it created. */
export async function managedChannels(created: CreatedChannels, network: NetworkConfig): Promise<string[]> {
  return [...new Set([...network.fabricChannels, ...(await created.list(network.name))])];
}

/** The channel a command names, or the network's first, when the bot manages it; else why not. */
export async function managedChannel(created: CreatedChannels, network: NetworkConfig, asked: string | undefined): Promise<string> {
  const channels = await managedChannels(created, network);
  const channel = asked ?? channels[0];
  if (channel === undefined) throw new PermanentError(`network ${network.name} lists no fabricChannels`);
  if (!channels.includes(channel))
    throw new PermanentError(`${channel} is not one of network ${network.name}'s channels (${channels.join(', ')})`);
  return channel;
}
