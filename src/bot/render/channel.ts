import type { QueryResult } from '../../jobs/services/queries.js';
import { escapeMrkdwn, linesToSections, truncate, type Rendered } from './text.js';

/** `/fabric channel show`: who is in the channel, who decides, how blocks are cut, which ACLs differ. */
export function renderChannelSummary(s: QueryResult<'channel-config'>): Rendered {
  const orgs = s.orgs.map(
    (o) =>
      `${escapeMrkdwn(o.mspId)} (${o.anchorPeers.length === 0 ? 'no anchor peers' : `anchor peers ${escapeMrkdwn(o.anchorPeers.join(', '))}`}` +
      `${o.revoked === 0 ? '' : `, ${o.revoked} revoked in its CRL`})`,
  );
  const lines = [
    `*Channel \`${escapeMrkdwn(s.channel)}\`* — config sequence ${s.sequence}`,
    `*Members:* ${orgs.join(' · ') || 'none'}`,
    `*Who decides:* ${s.policies.map((p) => `\`${escapeMrkdwn(p.policy)}\`: ${escapeMrkdwn(p.asks)}`).join(' · ')}`,
    `*Ordering:* ${s.orderer.map((v) => `${v.name} ${escapeMrkdwn(truncate(v.value, 400))}`).join(' · ')}`,
    `*ACLs set apart from Fabric's defaults:* ${
      s.acls.length === 0 ? 'none' : s.acls.map((a) => `${escapeMrkdwn(a.resource)} → ${escapeMrkdwn(a.policy)}`).join(', ')
    }`,
    `*Channel capabilities:* ${escapeMrkdwn(s.capabilities)}`,
  ];
  return { text: `Channel ${s.channel}: config sequence ${s.sequence}, ${s.orgs.length} member orgs`, blocks: linesToSections(lines, 10) };
}
