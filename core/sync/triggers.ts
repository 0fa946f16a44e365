// Reconnect triggers (DESIGN §6): the network coming back, the page becoming visible, a push, and a
// slow timer as the last resort. Worker-safe: the caller passes whatever event targets its context has
// (`self` in a worker, `window` and `document` in a page); push and alarms are wired by the shells, which
// call `engine.trigger('push')` from their own handlers.
import type { Trigger } from './engine.ts';

interface EventSource {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export interface TriggerTargets {
  /** fires 'online' (window or a worker's global scope) */
  readonly network?: EventSource;
  /** fires 'visibilitychange' and has visibilityState (document) */
  readonly visibility?: EventSource & { readonly visibilityState: string };
  /** period of the timer trigger, ms (default 60 s; 0 disables it) */
  readonly timerMs?: number;
  readonly timers?: { setInterval(fn: () => void, ms: number): unknown; clearInterval(h: unknown): void };
}

export function attachTriggers(engine: { trigger(reason: Trigger): void }, targets: TriggerTargets): () => void {
  const online = () => engine.trigger('online');
  const visible = () => {
    if (targets.visibility?.visibilityState === 'visible') engine.trigger('visible');
  };
  targets.network?.addEventListener('online', online);
  targets.visibility?.addEventListener('visibilitychange', visible);
  const timers = targets.timers ?? {
    setInterval: (fn: () => void, ms: number) => globalThis.setInterval(fn, ms),
    clearInterval: (h: unknown) => globalThis.clearInterval(h as ReturnType<typeof setInterval>),
  };
  const period = targets.timerMs ?? 60_000;
  const interval = period > 0 ? timers.setInterval(() => engine.trigger('timer'), period) : undefined;
  return () => {
    targets.network?.removeEventListener('online', online);
    targets.visibility?.removeEventListener('visibilitychange', visible);
    if (interval !== undefined) timers.clearInterval(interval);
  };
}
