// The near-limit baseline of B1 (PERFORMANCE.md, "raw ws relay"): a minimal `ws` server that forwards each
// send to the recipients' sockets. No storage, no acks, no authentication: a device names itself in the
// URL (`/?d=NAME`). It reads the same `send` frame as the relay and writes a `deliver` frame per target
// built the same way (string concatenation, wire.ts), so the difference measured is what durability,
// acknowledgement and the protocol cost. Prints `{"msg":"listening","port":N}` once it listens.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

interface SendFrame {
  t: 'send';
  id: string;
  to: { d: string; c: string }[];
}

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const sockets = new Map<string, WebSocket>();

const server = createServer((_req, res) => res.writeHead(426).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, maxPayload: 256 * 1024 });

wss.on('connection', (ws, req) => {
  const name = new URL(req.url ?? '/', 'http://x').searchParams.get('d');
  if (!name) {
    ws.close(4400, 'name the device: /?d=NAME');
    return;
  }
  sockets.set(name, ws);
  ws.on('close', () => {
    if (sockets.get(name) === ws) sockets.delete(name);
  });
  ws.on('error', () => undefined);
  ws.on('message', (data) => {
    let frame: SendFrame;
    try {
      frame = JSON.parse(data.toString()) as SendFrame;
    } catch {
      return;
    }
    if (frame.t !== 'send' || !Array.isArray(frame.to)) return;
    const head = `{"t":"deliver","e":{"from":"${name}","id":${JSON.stringify(frame.id)},"c":"`;
    for (const t of frame.to) sockets.get(t.d)?.send(`${head}${t.c}"}}`);
  });
  ws.send('{"t":"challenge"}');
});

server.listen(port, host, () => {
  const addr = server.address();
  console.log(JSON.stringify({ msg: 'listening', port: typeof addr === 'object' && addr ? addr.port : port }));
});
process.on('SIGTERM', () => process.exit(0));
