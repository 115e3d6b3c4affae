import type { WebClient } from '@slack/web-api';
import type { AlertSink, PodAlert, PodRecovery } from '../jobs/watchers/alerts.js';
import type { CertExpirySink, CertExpiryWarning } from '../jobs/watchers/cert-expiry.js';
import { slackApiErrors } from '../metrics.js';
import { renderAlert, renderCertExpiry, renderRecovery } from './render/alert.js';
import { slackText, type Rendered } from './render/text.js';
import { slackErrorCode } from './status-publisher.js';

/** Posts alerts and recoveries to the network's alert channel. */
export class SlackAlertPublisher implements AlertSink, CertExpirySink {
  constructor(
    private readonly client: WebClient,
    private readonly command: string,
  ) {}

  async certificatesExpiring(w: CertExpiryWarning): Promise<void> {
    await this.post(w.channel, renderCertExpiry(w, this.command));
  }

  async alert(a: PodAlert): Promise<void> {
    await this.post(a.channel, renderAlert(a));
  }

  async recovered(r: PodRecovery): Promise<void> {
    await this.post(r.channel, renderRecovery(r));
  }

  private async post(channel: string, rendered: Rendered): Promise<void> {
    try {
      await this.client.chat.postMessage({
        channel,
        text: slackText(rendered.text),
        ...(rendered.blocks === undefined ? {} : { blocks: rendered.blocks }),
      });
    } catch (err) {
      slackApiErrors.inc({ method: 'chat.postMessage', error: slackErrorCode(err) });
      throw err;
    }
  }
}
