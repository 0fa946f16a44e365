// The engine's catch-up against a scripted mailbox: every ack follows its own batch's durable commit, in
// order [CLI1], one apply per batch [CLI2], and a failed commit acks nothing after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope } from '../../protocol/envelope.ts';
import { MemoryStore } from '../store/memory.ts';
import { SyncEngine } from './engine.ts';
import { memoryMailboxLock } from './mailbox-lock.ts';
import type { MailboxSession } from './mailbox-session.ts';

function envelope(seq: number): Envelope {
  return { seq, id: `e${seq}`, from: 'dev', fa: 'acct', c: 'AA', ts: 1 } as unknown as Envelope;
}

function fakeSession(total: number, per: number, log: string[]): MailboxSession {
  const s = {
    head: total,
    fetch: async (after: number) => {
      log.push(`fetch ${after}`);
      const items: Envelope[] = [];
      for (let q = after + 1; q <= Math.min(total, after + per); q++) items.push(envelope(q));
      return { t: 'batch', r: 1, items, more: after + per < total, head: total };
    },
    ack: (upTo: number) => void log.push(`ack ${upTo}`),
    onDeliver: () => undefined,
    onClose: () => undefined,
    close: () => undefined,
  };
  return s as unknown as MailboxSession;
}

function engine(session: MailboxSession, log: string[], failCommitOf?: number) {
  const store = new MemoryStore();
  return new SyncEngine({
    store,
    lock: memoryMailboxLock(),
    lockName: 'm',
    connect: async () => session,
    apply: async (items) => {
      const last = items.at(-1)!.seq;
      log.push(`apply ${last}`);
      await new Promise((r) => setTimeout(r, 5));
      if (last === failCommitOf) throw new Error('disk full');
      await store.commit({ cursor: { key: 'mailbox', seq: last, head: last } });
      log.push(`durable ${last}`);
    },
    flushOutbox: async () => undefined,
    backoff: { baseMs: 60_000, capMs: 60_000 },
  });
}

describe('SyncEngine catch-up', () => {
  it('[CLI1][CLI2] one apply per batch, the next fetch already in flight; each ack follows its own commit, in order', async () => {
    const log: string[] = [];
    const e = engine(fakeSession(10, 3, log), log);
    const states: string[] = [];
    e.state.subscribe((s) => states.push(s.kind));
    await e.start();
    await e.whenCaughtUp();
    await e.stop();
    assert.deepEqual(log, [
      'fetch 0',
      'fetch 3', 'apply 3', 'durable 3', 'ack 3',
      'fetch 6', 'apply 6', 'durable 6', 'ack 6',
      'fetch 9', 'apply 9', 'durable 9', 'ack 9',
      'apply 10', 'durable 10', 'ack 10',
    ]);
    assert.deepEqual([...new Set(states)], ['connecting', 'catching-up', 'live', 'offline']);
  });

  it('[CLI1] a failed commit acks neither its batch nor any later one, and the engine reports the error', async () => {
    const log: string[] = [];
    const e = engine(fakeSession(9, 3, log), log, 6);
    await e.start();
    for (let i = 0; i < 100 && e.state.get().kind !== 'error'; i++) await new Promise((r) => setTimeout(r, 5));
    const state = e.state.get();
    await e.stop();
    assert.ok(state.kind === 'error' && /disk full/.test(state.reason));
    assert.equal(log.includes('ack 3'), true);
    assert.equal(log.some((l) => l === 'ack 6' || l === 'ack 9' || l === 'apply 9'), false, log.join(', '));
  });
});
