// What the client core tells the UI, after the store has committed it (never before).
import type { ContactRecord, DiagnosticEvent, MessageRecord } from '../store/records.ts';

export type ClientEvent =
  | { readonly type: 'message'; readonly message: MessageRecord }
  | { readonly type: 'message-updated'; readonly message: MessageRecord }
  | { readonly type: 'typing'; readonly chatId: string; readonly device: string; readonly on: boolean }
  | { readonly type: 'contact-changed'; readonly contact: ContactRecord }
  | { readonly type: 'diagnostic'; readonly event: DiagnosticEvent };

export type ClientListener = (event: ClientEvent) => void;
