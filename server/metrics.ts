// /metrics in the Prometheus text format [OPS2], via prom-client on a registry of our own.
import client from 'prom-client';
import type { MailboxStats } from './storage/relay-storage.ts';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(totals: () => Promise<MailboxStats>) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'tandem_process_' });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string) => new client.Gauge({ name, help, registers: [registry] });

  let depth: MailboxStats = { envelopes: 0, bytes: 0 };
  const refreshDepth = async () => {
    depth = await totals();
  };
  new client.Gauge({
    name: 'tandem_mailbox_depth',
    help: 'Envelopes waiting in all mailboxes',
    registers: [registry],
    async collect() {
      await refreshDepth();
      this.set(depth.envelopes);
    },
  });
  new client.Gauge({
    name: 'tandem_mailbox_bytes',
    help: 'Ciphertext bytes waiting in all mailboxes',
    registers: [registry],
    collect() {
      this.set(depth.bytes);
    },
  });

  return {
    registry,
    connections: gauge('tandem_connections', 'Open WebSocket connections'),
    authenticated: gauge('tandem_connections_authenticated', 'Authenticated WebSocket connections'),
    stored: counter('tandem_envelopes_stored_total', 'Envelopes durably stored (one per target device)'),
    delivered: counter('tandem_envelopes_delivered_total', 'Envelopes written to a device connection (live or batch)'),
    acked: counter('tandem_envelopes_acked_total', 'Envelopes acknowledged by their device and deleted'),
    expired: counter('tandem_envelopes_expired_total', 'Envelopes deleted unread after their time to live'),
    duplicates: counter('tandem_sends_duplicate_total', 'Sends answered from the idempotency record'),
    commits: counter('tandem_commits_total', 'Group commits'),
    commitSeconds: new client.Histogram({
      name: 'tandem_commit_seconds',
      help: 'Duration of a group commit, from the write to durable (the event loop is blocked meanwhile)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    commitSize: new client.Histogram({
      name: 'tandem_commit_sends',
      help: 'Sends per group commit',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    commitFailures: counter('tandem_commit_failures_total', 'Group commits that failed (nothing acknowledged)'),
    errors: counter('tandem_errors_total', 'Error frames sent, by code', ['code']),
    closes: counter('tandem_closes_total', 'Connections closed by the relay, by close code', ['code']),
    blobsStored: counter('tandem_blobs_stored_total', 'Blobs stored'),
    deviceLists: counter('tandem_device_lists_published_total', 'Signed device lists stored [DL2]'),
  };
}
