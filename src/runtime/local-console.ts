import { randomBytes } from 'node:crypto';
import type { Env } from '../config/env.js';
import type { Config } from '../config/model.js';
import type { ConsoleMember, LocalConsole } from '../console/console-server.js';
import { freePort } from './embedded-redis.js';

/** With no Slack credentials at all, `ROLE=all` runs against the local console instead of Slack. */
export function wantsLocalConsole(env: Env): boolean {
  return (
    env.ROLE === 'all' &&
    env.SLACK_BOT_TOKEN === undefined &&
    env.SLACK_SIGNING_SECRET === undefined &&
    env.SLACK_APP_TOKEN === undefined &&
    env.SLACK_API_URL === undefined
  );
}

/**
 * Starts the console on the port the bot would have used and returns the environment the bot
 * then runs with: a fresh token and signing secret shared with the console, and its own port.
 */
export async function startLocalConsole(env: Env, config: Config, commandHelp: string[]): Promise<{ console: LocalConsole; env: Env }> {
  const botPort = await freePort();
  const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  // Loaded only when the console runs: a process talking to Slack has no use for the emulator.
  const { startConsole } = await import('../console/console-server.js');
  const console = await startConsole({
    port: env.PORT,
    host: env.CONSOLE_HOST,
    botUrl: `http://127.0.0.1:${botPort}`,
    opsUrl: `http://127.0.0.1:${env.OPS_PORT}`,
    botToken,
    signingSecret,
    command: config.slack.command,
    channels: config.networks.flatMap((n) => [
      ...n.channels.map((id) => ({ id, purpose: `commands for network ${n.name}` })),
      ...(n.alertChannel === undefined ? [] : [{ id: n.alertChannel, purpose: `alerts of network ${n.name}` }]),
    ]),
    ...workspaceMembers(config),
    commandHelp,
  });
  return {
    console,
    env: { ...env, PORT: botPort, SLACK_BOT_TOKEN: botToken, SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: console.apiUrl },
  };
}

/** The configured members as console users; each user group gets one stand-in member. */
function workspaceMembers(config: Config): { members: ConsoleMember[]; usergroups: Record<string, string[]> } {
  const members = new Map<string, ConsoleMember>();
  const usergroups: Record<string, string[]> = {};
  for (const m of config.members) {
    const id = m.user ?? `U${(m.usergroup ?? '').slice(1)}1`;
    if (m.usergroup !== undefined) usergroups[m.usergroup] = [...new Set([...(usergroups[m.usergroup] ?? []), id])];
    const role = `${m.org} ${m.role}${m.usergroup === undefined ? '' : ` (group ${m.usergroup})`}`;
    const known = members.get(id);
    members.set(id, { id, name: known?.name ?? nameOf(id), description: known === undefined ? role : `${known.description}, ${role}` });
  }
  return { members: [...members.values()], usergroups };
}

/** U0ALICE → alice: config ids carry the only name the console has. */
const nameOf = (id: string): string => id.replace(/^U0?/, '').toLowerCase();
