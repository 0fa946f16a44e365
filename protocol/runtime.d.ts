// The few runtime globals the protocol uses. They exist in every place it runs (Node 20, browsers,
// service workers) but not in the bare ES2022 lib this folder is checked against, on purpose: nothing
// else from the DOM or Node may creep in.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
