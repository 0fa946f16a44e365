// A relay that lies, for security tests of the client core. It wraps a real RelayConnector (a real relay
// process underneath, so honest traffic is real) and hands the client MailboxSession proxies whose
// behaviour a test scripts with hooks, one list per method:
//
//   mailbox(device).hooks.envelope  each envelope the relay has for the device (batch or live) goes through
//                                   every hook in turn; a hook returns the envelopes to hand on instead
//                                   ([] drops it, [e, old] replays an older one after it, a changed copy
//                                   rewrites it) or nothing to leave it as it is
//   mailbox(device).hooks.ack       sees each ack; 'drop' keeps it from the real relay (a dead worker)
//   relay.hooks.lookup              rewrite a `directory` answer (ghost devices, rollbacks, forged lists)
//   relay.hooks.bundle              rewrite a prekey `bundle` (an attacker's signed prekey)
//   relay.hooks.send                observe (or refuse, by throwing) a `send` frame before it goes out
//
// and `mailbox(device).inject(...)` pushes forged envelopes onto the victim's live connection.
//
// Seqs: the victim sees the lying relay's own numbering (1, 2, 3, ... per mailbox, as [SEQ1] promises),
// not the real relay's, so a drop or an injection leaves no hole in the seqs unless the test asks for one
// (`skipSeqs`): a careful liar, which only the ratchet can catch [CLI4]. Acks and fetches are translated
// back; what an attacker drops is acked to the real relay once the victim acks past it, so it is gone.
import type { Envelope } from '../../protocol/envelope.ts';
import type { Batch } from '../../protocol/messages/batch.ts';
import type { Bundle } from '../../protocol/messages/bundle.ts';
import type { Directory } from '../../protocol/messages/directory.ts';
import type { Sent } from '../../protocol/messages/sent.ts';
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.ts';
import type { RelayConnector } from '../../core/client/relay-connector.ts';
import type { Primitives } from '../../core/crypto/primitives.ts';
import type { DeviceIdentity } from '../../core/store/records.ts';
import type { MailboxSession } from '../../core/sync/mailbox-session.ts';

export type EnvelopeHook = (e: Envelope) => Envelope[] | void;
export type AckHook = (upTo: number, mailbox: Mailbox) => 'forward' | 'drop' | void;
export type LookupHook = (dir: Directory, query: { username: string } | { account: string }) => Directory | void | Promise<Directory | void>;
export type BundleHook = (bundle: Bundle, device: string) => Bundle | void | Promise<Bundle | void>;
export type SendHook = (send: SendRecord) => void;

export interface SendRecord {
  /** the sending device (the one whose connection carried the frame) */
  readonly from: string;
  readonly id: string;
  readonly to: readonly { readonly d: string; readonly c: string }[];
}

/** One device's mailbox as the lying relay keeps it, across the device's connections. */
export class Mailbox {
  readonly hooks: { envelope: EnvelopeHook[]; ack: AckHook[] } = { envelope: [], ack: [] };
  /** every real envelope the relay had for this device, in real seq order (the attacker's view) */
  readonly real: Envelope[] = [];
  /** everything handed to the victim, with the seqs it saw */
  readonly delivered: Envelope[] = [];
  /** acks the victim sent (its seqs) */
  readonly acks: number[] = [];
  /** the highest real seq acked to the real relay (everything up to it is deleted there) */
  realAcked = 0;
  #seq = 0;
  #lastReal = 0;
  /** real seq -> what was handed out for it (so a redelivery repeats the same envelopes and seqs) */
  readonly #outputs = new Map<number, Envelope[]>();
  /** victim seq -> the real seq it stands for (injected envelopes stand for none) */
  readonly #realOf = new Map<number, number>();
  /** the device's connections still open, oldest first */
  readonly #sessions = new Set<SessionProxy>();

  readonly deviceId: string;

  constructor(deviceId: string) {
    this.deviceId = deviceId;
  }

  /** the victim's newest open connection, if it has one */
  get session(): SessionProxy | undefined {
    let last: SessionProxy | undefined;
    for (const s of this.#sessions) if (!s.closed) last = s;
    return last;
  }

  /** the highest seq handed out so far */
  get head(): number {
    return this.#seq;
  }

  /** Leave `n` seqs unused, as a relay that lost envelopes would [SEQ1]. */
  skipSeqs(n: number): void {
    this.#seq += n;
  }

  /** Push forged envelopes to the victim's live connection now; each gets the next seq. */
  inject(...envelopes: Envelope[]): Envelope[] {
    const s = this.session;
    if (!s) throw new Error(`device ${this.deviceId} has no live connection to inject into`);
    const out = envelopes.map((e) => this.#number(e, undefined));
    for (const e of out) s.push(e);
    return out;
  }

  /** Close the victim's connections, as a network drop or a killed worker would. */
  closeConnection(): void {
    for (const s of [...this.#sessions]) s.close();
  }

  attach(s: SessionProxy): void {
    this.#sessions.add(s);
  }

  detach(s: SessionProxy): void {
    this.#sessions.delete(s);
  }

  /** A real envelope becomes what the hooks make of it, numbered in the victim's seqs. */
  process(e: Envelope): Envelope[] {
    const cached = this.#outputs.get(e.seq);
    if (cached) return cached;
    if (e.seq > this.#lastReal) {
      this.real.push(e);
      this.#lastReal = e.seq;
    }
    let items: Envelope[] = [e];
    for (const hook of this.hooks.envelope) items = items.flatMap((x) => hook(x) ?? [x]);
    const out = items.map((x) => this.#number(x, e.seq));
    this.#outputs.set(e.seq, out);
    return out;
  }

  #number(e: Envelope, realSeq: number | undefined): Envelope {
    const seq = ++this.#seq;
    if (realSeq !== undefined) this.#realOf.set(seq, realSeq);
    const out = { ...e, seq };
    this.delivered.push(out);
    return out;
  }

  /** The real seq to ack for a victim's ack of `upTo`: what it stands for, or everything once it is all acked. */
  realAck(upTo: number): number {
    if (upTo >= this.#seq) return this.#lastReal;
    return this.realAfter(upTo);
  }

  /** The real seq a victim's `fetch(after)` starts from. */
  realAfter(after: number): number {
    let real = 0;
    for (const [v, r] of this.#realOf) if (v <= after && r > real) real = r;
    return real;
  }
}

/** The MailboxSession the victim's client talks to: the real one, with the hooks in between. */
export class SessionProxy implements MailboxSession {
  closed = false;
  readonly #inner: MailboxSession;
  readonly #mailbox: Mailbox;
  readonly #relay: MaliciousRelay;
  readonly #listeners: ((e: Envelope) => void)[] = [];
  #subscribed = false;
  /** fetches in flight, and the live envelopes that came meanwhile */
  #fetching = 0;
  readonly #early: Envelope[] = [];

  constructor(inner: MailboxSession, mailbox: Mailbox, relay: MaliciousRelay) {
    this.#inner = inner;
    this.#mailbox = mailbox;
    this.#relay = relay;
    inner.onClose(() => {
      this.closed = true;
      mailbox.detach(this);
    });
    mailbox.attach(this);
  }

  get head(): number {
    return this.#mailbox.head;
  }

  push(e: Envelope): void {
    for (const l of this.#listeners) l(e);
  }

  async fetch(after: number, limit: number): Promise<Batch> {
    // A `deliver` right behind a `batch` on the wire is handled before this function resumes: it waits,
    // so that envelopes are numbered in the relay's order.
    this.#fetching++;
    try {
      let realAfter = this.#mailbox.realAfter(after);
      for (;;) {
        const batch = await this.#inner.fetch(realAfter, limit);
        const items = batch.items.flatMap((e) => this.#mailbox.process(e)).filter((e) => e.seq > after);
        // A batch the hooks emptied is not the end of the mailbox: read on, as the relay would.
        if (items.length === 0 && batch.more && batch.items.length > 0) {
          realAfter = batch.items.at(-1)!.seq;
          continue;
        }
        return { ...batch, items, head: Math.max(this.#mailbox.head, items.at(-1)?.seq ?? 0) };
      }
    } finally {
      if (--this.#fetching === 0) for (const e of this.#early.splice(0)) this.#live(e);
    }
  }

  #live(e: Envelope): void {
    if (this.#fetching > 0) this.#early.push(e);
    else for (const out of this.#mailbox.process(e)) this.push(out);
  }

  ack(upTo: number): void {
    if (this.closed) return;
    this.#mailbox.acks.push(upTo);
    for (const hook of this.#mailbox.hooks.ack) if (hook(upTo, this.#mailbox) === 'drop') return;
    if (this.closed) return;
    const real = this.#mailbox.realAck(upTo);
    this.#mailbox.realAcked = Math.max(this.#mailbox.realAcked, real);
    this.#inner.ack(real);
  }

  onDeliver(cb: (envelope: Envelope) => void): void {
    this.#listeners.push(cb);
    if (this.#subscribed) return;
    this.#subscribed = true;
    this.#inner.onDeliver((e) => this.#live(e));
  }

  onClose(cb: (reason: string) => void): void {
    this.#inner.onClose(cb);
  }

  close(): void {
    this.closed = true;
    this.#mailbox.detach(this);
    this.#inner.close();
  }

  async lookup(query: { username: string } | { account: string }): Promise<Directory> {
    let dir = await this.#inner.lookup(query);
    for (const hook of this.#relay.hooks.lookup) dir = (await hook(structuredClone(dir), query)) ?? dir;
    return dir;
  }

  async getBundle(device: string): Promise<Bundle> {
    let bundle = await this.#inner.getBundle(device);
    for (const hook of this.#relay.hooks.bundle) bundle = (await hook(structuredClone(bundle), device)) ?? bundle;
    return bundle;
  }

  send(id: string, to: readonly { d: string; c: string }[]): Promise<Sent> {
    const record: SendRecord = { from: this.#mailbox.deviceId, id, to: to.map(({ d, c }) => ({ d, c })) };
    this.#relay.sends.push(record);
    for (const hook of this.#relay.hooks.send) hook(record);
    return this.#inner.send(id, to);
  }

  putPrekeys: MailboxSession['putPrekeys'] = (spk, opks) => this.#inner.putPrekeys(spk, opks);
  putDeviceList: MailboxSession['putDeviceList'] = (list) => this.#inner.putDeviceList(list);
  blobUpload: MailboxSession['blobUpload'] = (size) => this.#inner.blobUpload(size);
  blobDownload: MailboxSession['blobDownload'] = (id) => this.#inner.blobDownload(id);
}

export class MaliciousRelay {
  readonly hooks: { lookup: LookupHook[]; bundle: BundleHook[]; send: SendHook[] } = { lookup: [], bundle: [], send: [] };
  /** every `send` frame any device sent through this relay, in order */
  readonly sends: SendRecord[] = [];
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly connector: RelayConnector;

  constructor(inner: RelayConnector) {
    this.connector = {
      connect: async (identity: DeviceIdentity, p: Primitives, signal?: AbortSignal) =>
        new SessionProxy(await inner.connect(identity, p, signal), this.mailbox(identity.deviceId), this),
      register: async (identity, p, registration) => {
        const { session, account } = await inner.register(identity, p, registration);
        return { session: new SessionProxy(session, this.mailbox(identity.deviceId), this), account };
      },
    };
  }

  mailbox(deviceId: string): Mailbox {
    let m = this.#mailboxes.get(deviceId);
    if (!m) this.#mailboxes.set(deviceId, (m = new Mailbox(deviceId)));
    return m;
  }

  /** Remove every hook (the relay turns honest again); what it holds back stays held back. */
  behave(): void {
    this.hooks.lookup.length = 0;
    this.hooks.bundle.length = 0;
    this.hooks.send.length = 0;
    for (const m of this.#mailboxes.values()) {
      m.hooks.envelope.length = 0;
      m.hooks.ack.length = 0;
    }
  }
}

// ---- what a lying relay does to an envelope ----

/** The same envelope again, as a new one (the relay gives it a new seq; `id` rewritten if given). */
export function replay(e: Envelope, id?: string): Envelope {
  return { ...e, ...(id !== undefined ? { id } : {}) };
}

/** The envelope with `from` and `fa` rewritten [ENV1]: the relay claims someone else sent it. */
export function rewriteSender(e: Envelope, from: string, fa: string, id?: string): Envelope {
  return { ...e, from, fa, ...(id !== undefined ? { id } : {}) };
}

/** The envelope with one bit of its ciphertext flipped (bit 0 is the top bit of byte 0). */
export function flipBit(e: Envelope, bit: number, id?: string): Envelope {
  const c = decodeBase64url(e.c);
  const i = bit % (c.length * 8);
  c[i >> 3]! ^= 0x80 >> (i & 7);
  return { ...e, c: encodeBase64url(c), ...(id !== undefined ? { id } : {}) };
}

/** Drop for good the envelopes `pred` picks (they are acked away once the victim acks past them). */
export function dropWhere(pred: (e: Envelope) => boolean): EnvelopeHook {
  return (e) => (pred(e) ? [] : undefined);
}

/**
 * Reorder: hold back the envelopes `hold` picks, and hand them on (in the order held) right after the first
 * later envelope `release` picks.
 */
export function holdBack(hold: (e: Envelope) => boolean, release: (e: Envelope) => boolean): EnvelopeHook {
  const held: Envelope[] = [];
  return (e) => {
    if (hold(e)) {
      held.push(e);
      return [];
    }
    if (held.length > 0 && release(e)) return [e, ...held.splice(0)];
    return undefined;
  };
}

/** A hook that acts on the first envelope `pred` picks, and passes everything else. */
export function onceWhere(pred: (e: Envelope) => boolean, act: (e: Envelope) => Envelope[]): EnvelopeHook {
  let done = false;
  return (e) => {
    if (done || !pred(e)) return undefined;
    done = true;
    return act(e);
  };
}

/** A deterministic PRNG (mulberry32) for seeded attacks and chaos. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
