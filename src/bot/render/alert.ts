import type { KnownBlock } from '@slack/types';
import type { PodAlert, PodRecovery } from '../../jobs/watchers/alerts.js';
import type { CertExpiryWarning } from '../../jobs/watchers/cert-expiry.js';
import { scrubText } from '../../log.js';
import { LIMITS, context, escapeMrkdwn, fields, section, truncate, type Rendered } from './text.js';

export const SHOW_LOGS_ACTION = 'alert_show_logs';
export const RESTART_POD_ACTION = 'alert_restart_pod';
export const RENEW_CERT_ACTION = 'alert_renew_cert';
const CERTS_SHOWN = 20;

/** The button value: network/pod; the action handler checks the network is the channel's. */
export const podRef = (network: string, pod: string): string => `${network}/${pod}`;

export function logBlock(logTail: string): KnownBlock {
  // Logs can carry anything; secrets are scrubbed and the tail kept inside the section limit.
  const text = scrubText(logTail).replace(/```/g, "'''");
  return section(`\`\`\`${truncate(text.split('\n').slice(-20).join('\n'), LIMITS.sectionText - 10)}\`\`\``);
}

export function renderAlert(a: PodAlert): Rendered {
  const text = `:rotating_light: ${a.pod} in ${a.namespace}: ${a.problem.reason}`;
  const value = podRef(a.network, a.pod);
  const blocks: KnownBlock[] = [
    section(`:rotating_light: *${escapeMrkdwn(a.problem.reason)}*: \`${escapeMrkdwn(a.pod)}\` — ${escapeMrkdwn(a.problem.detail)}`),
    fields([
      { label: 'Network', value: a.network },
      { label: 'Namespace', value: a.namespace },
      ...(a.org === undefined ? [] : [{ label: 'Org', value: a.org }]),
    ]),
    logBlock(a.logTail),
    {
      type: 'actions',
      elements: [
        { type: 'button', action_id: SHOW_LOGS_ACTION, text: { type: 'plain_text', text: 'Show logs' }, value },
        { type: 'button', action_id: RESTART_POD_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Restart pod' }, value },
      ],
    },
  ];
  return { text, blocks };
}

export function renderRecovery(r: PodRecovery): Rendered {
  const text = `:white_check_mark: ${r.pod} in ${r.namespace} recovered (${r.reasons.join(', ')})`;
  return {
    text,
    blocks: [
      section(
        `:white_check_mark: \`${escapeMrkdwn(r.pod)}\` in \`${escapeMrkdwn(r.namespace)}\` ` +
          `is Ready again (was: ${escapeMrkdwn(r.reasons.join(', '))})`,
      ),
    ],
  };
}

/** The button value: network/org/name, which the action handler turns into `cert renew ORG NAME`. */
export const identityRef = (network: string, org: string, name: string): string => `${network}/${org}/${name}`;

/** Certificates about to expire, one line each with a Renew button (run as the person who clicks). */
export function renderCertExpiry(w: CertExpiryWarning, command: string): Rendered {
  const n = w.certificates.length;
  const certificates = `${n} certificate${n === 1 ? '' : 's'}`;
  const expire = `expire${n === 1 ? 's' : ''}`;
  const text = `:alarm_clock: ${certificates} in ${w.network} ${expire} within ${w.days} days`;
  const blocks: KnownBlock[] = [section(`:alarm_clock: *${certificates}* in *${escapeMrkdwn(w.network)}* ${expire} within ${w.days} days`)];
  for (const c of w.certificates.slice(0, CERTS_SHOWN)) {
    const when = c.expiresAt === undefined ? '' : new Date(c.expiresAt).toISOString().slice(0, 10);
    const left = (c.daysLeft ?? 0) < 0 ? 'expired' : `${c.daysLeft} days left`;
    blocks.push({
      ...section(
        `\`${escapeMrkdwn(c.org)}\` *${escapeMrkdwn(c.name)}* — ${left} (${when}), serial ${escapeMrkdwn((c.serial ?? '').slice(0, 16))}…`,
      ),
      accessory: {
        type: 'button',
        action_id: RENEW_CERT_ACTION,
        text: { type: 'plain_text', text: 'Renew' },
        value: identityRef(w.network, c.org, c.name),
      },
    } as KnownBlock);
  }
  if (n > CERTS_SHOWN) blocks.push(context(`…and ${n - CERTS_SHOWN} more: \`${command} cert expiring --days ${w.days}\``));
  return { text, blocks };
}
