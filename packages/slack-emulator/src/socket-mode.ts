/**
 * Socket Mode: apps.connections.open hands out a one-time URL; Slack says hello, then sends
 * envelopes (slash_commands, interactive) that the app acknowledges by envelope_id, with any
 * response payload in the ack.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { ACK_BUDGET_MS, type AppReply } from './requests.js';
import { asString, type Args } from './workspace.js';

const UNACKED_MS = 10_000;

export class SocketMode {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly tickets = new Set<string>();
  private readonly pendingAcks = new Map<string, (payload: Args | undefined) => void>();

  /** Takes WebSocket upgrades on `server`; what the app gets wrong goes to `problems`. */
  constructor(
    server: http.Server,
    private readonly problems: string[],
  ) {
    server.on('upgrade', (req, socket, head) => {
      const ticket = /^\/socket\/([0-9a-f]+)$/.exec(req.url ?? '')?.[1];
      if (ticket === undefined || !this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  /** A one-time connection URL under `baseUrl` (the emulator's http:// URL). */
  openUrl(baseUrl: string): string {
    const ticket = randomBytes(12).toString('hex');
    this.tickets.add(ticket);
    return `${baseUrl.replace(/^http/, 'ws')}/socket/${ticket}`;
  }

  /** Is an app connected? */
  get connected(): boolean {
    return this.sockets.size > 0;
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  /** Sends a form-encoded request (a slash command, or a `payload` field) as an envelope and waits for its ack. */
  async deliver(body: string): Promise<AppReply> {
    const [ws] = this.sockets;
    if (ws === undefined) throw new Error('no app is connected in Socket Mode');
    const form = new URLSearchParams(body);
    const payloadField = form.get('payload');
    const envelopeId = randomBytes(8).toString('hex');
    const envelope =
      payloadField === null
        ? { envelope_id: envelopeId, type: 'slash_commands', accepts_response_payload: true, payload: Object.fromEntries(form) }
        : { envelope_id: envelopeId, type: 'interactive', accepts_response_payload: false, payload: JSON.parse(payloadField) as Args };
    const t0 = performance.now();
    const payload = await new Promise<Args | undefined | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), UNACKED_MS);
      this.pendingAcks.set(envelopeId, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
      ws.send(JSON.stringify(envelope));
    });
    this.pendingAcks.delete(envelopeId);
    const ms = performance.now() - t0;
    if (payload === 'timeout') {
      this.problems.push(`socket mode: envelope ${envelope.type} never acknowledged`);
      return { status: 504, body: '', ms };
    }
    if (ms > ACK_BUDGET_MS) this.problems.push(`acknowledged after ${Math.round(ms)} ms: Slack shows operation_timeout`);
    return { status: 200, body: payload === undefined || Object.keys(payload).length === 0 ? '' : JSON.stringify(payload), ms };
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      let msg: Args;
      try {
        msg = JSON.parse(String(data)) as Args;
      } catch {
        this.problems.push('socket mode: the app sent something that is not JSON');
        return;
      }
      const id = asString(msg.envelope_id);
      const pending = id === undefined ? undefined : this.pendingAcks.get(id);
      if (pending === undefined) this.problems.push(`socket mode: ack for unknown envelope ${id ?? '(none)'}`);
      else pending(msg.payload as Args | undefined);
    });
    const hello = {
      type: 'hello',
      num_connections: this.sockets.size,
      connection_info: { app_id: 'A0EMULATED' },
      debug_info: { host: 'emulated', approximate_connection_time: 3600 },
    };
    ws.send(JSON.stringify(hello));
  }
}
