// How one decrypted payload changes local history [E2E5]: new messages, receipts, edits, deletions,
// typing. Pure with respect to the store: reads what it needs, writes only into `effects`, which the
// caller commits in one transaction.
import { decodeBase64url } from '../../protocol/base64url.ts';
import type { Content } from '../content/content.ts';
import type { ChatRecord, DeliveryStatus, MessageRecord } from '../store/records.ts';
import type { ClientEvent } from './events.ts';
import type { ReceiveContext } from './receive.ts';

export interface MessageEffects {
  readonly messages: Map<string, MessageRecord>;
  /** what the store held for keys read ahead of time (undefined: not there), so no read per envelope */
  readonly known: Map<string, MessageRecord | undefined>;
  readonly chats: Map<string, ChatRecord>;
  readonly events: ClientEvent[];
  /** chat id → keys of incoming messages to acknowledge with a delivery receipt */
  readonly delivered: Map<string, string[]>;
}

export interface Incoming {
  readonly content: Content;
  readonly chatId: string;
  readonly senderAccount: string;
  readonly senderDevice: string;
  readonly outgoing: boolean;
  readonly now: number;
}

/** A typing indicator older than this when it arrives is dropped. */
export const TYPING_FRESH_MS = 15_000;

const STATUS_RANK: Record<DeliveryStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

async function lookup(ctx: Pick<ReceiveContext, 'store'>, effects: MessageEffects, key: string): Promise<MessageRecord | undefined> {
  const pending = effects.messages.get(key);
  if (pending) return pending;
  if (effects.known.has(key)) return effects.known.get(key);
  return (await ctx.store.getMessages([key]))[0];
}

async function chat(ctx: Pick<ReceiveContext, 'store'>, effects: MessageEffects, id: string): Promise<ChatRecord> {
  return effects.chats.get(id) ?? (await ctx.store.getChat(id)) ?? { id, lastAt: 0, lastPreview: '', unread: 0 };
}

export function preview(m: Pick<MessageRecord, 'text' | 'attachment' | 'deleted'>): string {
  if (m.deleted) return 'This message was deleted';
  if (m.attachment) return `📎 ${m.attachment.name}${m.text ? ` ${m.text}` : ''}`.slice(0, 120);
  return m.text.slice(0, 120);
}

export async function applyContent(ctx: Pick<ReceiveContext, 'store'>, effects: MessageEffects, inc: Incoming): Promise<void> {
  const { content: c, chatId } = inc;
  switch (c.k) {
    case 'text':
    case 'attachment': {
      const key = `${inc.senderDevice}/${c.id}`;
      if (await lookup(ctx, effects, key)) return; // [E2E5] the same message twice is applied once
      const message: MessageRecord = {
        key,
        chatId,
        id: c.id,
        senderAccount: inc.senderAccount,
        senderDevice: inc.senderDevice,
        outgoing: inc.outgoing,
        sentAt: c.at,
        receivedAt: inc.now,
        text: c.text,
        ...(c.k === 'attachment'
          ? {
              attachment: {
                blobId: c.att.blob,
                key: decodeBase64url(c.att.key),
                digest: decodeBase64url(c.att.digest),
                size: c.att.size,
                mime: c.att.mime,
                name: c.att.name,
              },
            }
          : {}),
        status: inc.outgoing ? 'sent' : 'delivered',
      };
      effects.messages.set(key, message);
      const ch = await chat(ctx, effects, chatId);
      effects.chats.set(chatId, {
        ...ch,
        lastAt: Math.max(ch.lastAt, c.at),
        lastPreview: c.at >= ch.lastAt ? preview(message) : ch.lastPreview,
        unread: inc.outgoing ? ch.unread : ch.unread + 1,
      });
      effects.events.push({ type: 'message', message });
      if (!inc.outgoing) {
        const list = effects.delivered.get(chatId) ?? [];
        list.push(key);
        effects.delivered.set(chatId, list);
      }
      return;
    }
    case 'receipt': {
      // Receipts from the peer move our outgoing messages forward; never backward.
      if (inc.outgoing) return;
      for (const key of c.keys) {
        const m = await lookup(ctx, effects, key);
        if (!m || !m.outgoing || m.chatId !== chatId) continue;
        if (STATUS_RANK[c.kind] <= STATUS_RANK[m.status]) continue;
        const updated = { ...m, status: c.kind };
        effects.messages.set(key, updated);
        effects.events.push({ type: 'message-updated', message: updated });
      }
      return;
    }
    case 'typing':
      // Not stored; a stale indicator (delivered late from a mailbox) is not shown.
      if (!inc.outgoing && inc.now - c.at < TYPING_FRESH_MS) effects.events.push({ type: 'typing', chatId, device: inc.senderDevice, on: c.on });
      return;
    case 'edit':
    case 'delete': {
      const m = await lookup(ctx, effects, c.target);
      // Only the account that wrote a message may change it, and only in the chat it is in.
      if (!m || m.senderAccount !== inc.senderAccount || m.chatId !== chatId || m.deleted) return;
      const updated: MessageRecord =
        c.k === 'edit' ? { ...m, text: c.text, editedAt: c.at } : { ...m, text: '', deleted: true, editedAt: c.at };
      if (c.k === 'delete') {
        const { attachment: _gone, ...rest } = updated;
        effects.messages.set(c.target, rest);
        effects.events.push({ type: 'message-updated', message: rest });
      } else {
        effects.messages.set(c.target, updated);
        effects.events.push({ type: 'message-updated', message: updated });
      }
      return;
    }
  }
}
