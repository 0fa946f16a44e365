// WebSocket close codes shared by relay and clients [CLOSE1], modelled on HTTP status codes the way
// hocuspocus does. 1xxx codes are RFC 6455's own.
export const CLOSE = {
  normal: { code: 1000, reason: 'normal closure' },
  /** [CLOSE2] the relay is shutting down or restarting: reconnect with backoff */
  goingAway: { code: 1001, reason: 'relay going away' },
  /** [LIM1] a frame over the size cap (sent by ws itself before the frame is buffered) */
  tooLarge: { code: 1009, reason: 'frame too large' },
  /** [ERR3] repeated bad frames */
  protocolViolation: { code: 4400, reason: 'too many bad frames' },
  /** [AUTH5] authentication failed or was not attempted */
  unauthorized: { code: 4401, reason: 'authentication failed' },
  /** [AUTH6] no auth within the deadline, or no sign of life */
  timeout: { code: 4408, reason: 'timed out' },
  /** [AUTH7] the same device connected again; the older connection is closed */
  replaced: { code: 4409, reason: 'replaced by a newer connection' },
  /** the device was removed from its account */
  deviceRemoved: { code: 4410, reason: 'device removed' },
  /** [VER2] the client's protocol version is not accepted */
  upgradeRequired: { code: 4426, reason: 'protocol version not supported' },
  /** [RATE2] rate limits exceeded again and again */
  rateLimited: { code: 4429, reason: 'rate limit abuse' },
  internal: { code: 4500, reason: 'internal error' },
  /** [BP2] the client did not read what the relay sent; its mailbox keeps everything */
  slowConsumer: { code: 4520, reason: 'slow consumer' },
} as const;

export type CloseName = keyof typeof CLOSE;

export function closeName(code: number): CloseName | undefined {
  for (const [name, value] of Object.entries(CLOSE)) if (value.code === code) return name as CloseName;
  return undefined;
}
