import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import type { AuditLog } from '../services/audit.js';
import { expiringIdentities, type IdentityCertificate } from '../services/identity-expiry.js';
import { KEY_PREFIX } from '../engine/redis.js';
import type { Platform } from '../services/platform.js';

export interface CertExpiryWarning {
  network: string;
  channel: string;
  days: number;
  certificates: IdentityCertificate[];
}

export interface CertExpirySink {
  certificatesExpiring(w: CertExpiryWarning): Promise<void>;
}

/** A certificate is announced again after this long if it is still not renewed. */
const REMIND_AFTER_SEC = 7 * 24 * 3600;
const warnedKey = (network: string, serial: string): string => `${KEY_PREFIX}:cert-expiry:${network}:${serial}`;

/**
 * Scans every network's identity Secrets on a timer and announces, in the network's alert
 * channel, the certificates expiring within the configured window. Any number of workers may run
 * it: each certificate is claimed with SET NX, so one worker announces it, once a week at most.
 */
export class CertExpiryWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly platform: Platform,
    private readonly sink: CertExpirySink,
    private readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly everyMs: number,
  ) {}

  start(): void {
    const tick = (): void => {
      this.running ??= this.scan()
        .catch((err: unknown) => this.log.warn({ err }, 'certificate expiry scan failed'))
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
  }

  async scan(): Promise<void> {
    const days = this.platform.config.alerts.certExpiryDays;
    for (const network of this.platform.config.networks) {
      const channel = network.alertChannel;
      if (channel === undefined) continue;
      const expiring = (await expiringIdentities(this.platform, network.name, days)).filter((c) => c.serial !== undefined);
      const mine: IdentityCertificate[] = [];
      for (const cert of expiring) {
        const claimed = await this.redis.set(
          warnedKey(network.name, cert.serial as string),
          String(Date.now()),
          'EX',
          REMIND_AFTER_SEC,
          'NX',
        );
        if (claimed === 'OK') mine.push(cert);
      }
      if (mine.length === 0) continue;
      await this.audit.append({
        actor: 'system',
        action: 'cert.expiring',
        target: network.namespace,
        result: 'info',
        network: network.name,
        detail: mine.map((c) => `${c.org}/${c.name}`).join(', '),
      });
      try {
        await this.sink.certificatesExpiring({ network: network.name, channel, days, certificates: mine });
      } catch (err) {
        // Not announced: let the next scan try again.
        await this.redis.del(...mine.map((c) => warnedKey(network.name, c.serial as string)));
        throw err;
      }
    }
  }
}
