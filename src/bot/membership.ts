import type { WebClient } from '@slack/web-api';
import { roleRank, type Config, type NetworkConfig, type Role } from '../config/model.js';
import type { Logger } from '../log.js';

/** A person's place in one org of a network. */
export interface Member {
  org: string;
  role: Role;
}

const FAILED_LOOKUP_RETRY_MS = 30_000;

export interface GroupLookupTimes {
  /** How often a group's members are read again. */
  refreshMs: number;
  /** How long after Slack last answered a group that cannot be read keeps its members. */
  graceMs: number;
}

/** Who is who: the channel → network binding, and Slack users and user groups → org and role. */
export class Membership {
  /** `readAt`: when Slack last answered for the group; `until`: when to ask again. */
  private readonly groupCache = new Map<string, { users: Set<string>; readAt: number; until: number }>();

  /** `client`: for user group lookups, which wait for no long retries (a person is waiting). */
  constructor(
    private readonly config: Config,
    private readonly client: WebClient,
    private readonly log: Logger,
    private readonly times: GroupLookupTimes = { refreshMs: 5 * 60_000, graceMs: 5 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  networkFor(channelId: string): NetworkConfig | undefined {
    return this.config.networks.find((n) => n.channels.includes(channelId) || n.alertChannel === channelId);
  }

  /** The member's strongest role in the network; user groups are resolved through Slack and cached. */
  async memberOf(userId: string, network: string): Promise<Member | undefined> {
    const all = await this.membershipsOf(userId, network);
    return all.reduce<Member | undefined>(
      (best, m) => (best === undefined || roleRank[m.role] > roleRank[best.role] ? m : best),
      undefined,
    );
  }

  /** Every organisation the person belongs to in the network, each with their strongest role there. */
  async membershipsOf(userId: string, network: string): Promise<Member[]> {
    const byOrg = new Map<string, Member>();
    for (const m of this.config.members) {
      if (m.network !== network) continue;
      const matches =
        m.user !== undefined ? m.user === userId : m.usergroup !== undefined && (await this.groupMembers(m.usergroup)).has(userId);
      const current = byOrg.get(m.org);
      if (matches && (current === undefined || roleRank[m.role] > roleRank[current.role])) byOrg.set(m.org, { org: m.org, role: m.role });
    }
    return [...byOrg.values()];
  }

  private async groupMembers(usergroup: string): Promise<Set<string>> {
    const cached = this.groupCache.get(usergroup);
    if (cached !== undefined && cached.until > this.now()) return cached.users;
    try {
      const res = await this.client.usergroups.users.list({ usergroup });
      const users = new Set(res.users ?? []);
      this.groupCache.set(usergroup, { users, readAt: this.now(), until: this.now() + this.times.refreshMs });
      return users;
    } catch (err) {
      // One unreadable group must not lock out members listed by user. It keeps its last-known
      // members for the grace period after Slack last answered, and then grants nothing (fails
      // closed) until it can be read again: someone removed from it meanwhile loses the role.
      const fresh = cached !== undefined && this.now() - cached.readAt <= this.times.graceMs;
      this.log.warn(
        { err, usergroup, keptMembers: fresh },
        fresh
          ? 'cannot read Slack user group; its last-known members keep their role for now'
          : 'cannot read Slack user group; its members get no role from it until it can be read',
      );
      const users = fresh ? cached.users : new Set<string>();
      this.groupCache.set(usergroup, {
        users,
        readAt: cached?.readAt ?? 0,
        until: this.now() + Math.min(FAILED_LOOKUP_RETRY_MS, this.times.refreshMs),
      });
      return users;
    }
  }
}
