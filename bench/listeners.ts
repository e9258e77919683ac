// The listening side of the live bench, in its own process so that decoding
// the sockets' messages does not stall the load generator's event loop (in
// production the screens are on other machines). Forked by bench.ts with
// {base, token, sockets}; answers 'ready' with the webhook receiver's URL,
// then, on 'count', the messages received so far.
import { createServer } from 'node:http';
import { io } from 'socket.io-client';

const { base, token, sockets: n } = JSON.parse(process.argv[2]!) as { base: string; token: string; sockets: number };
const received = { events: 0, changed: 0, webhook: 0 };

const sockets = await Promise.all(
  Array.from({ length: n }, async () => {
    const s = io(base, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    s.on('event', () => received.events++);
    s.on('dataChanged', () => received.changed++);
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    return s;
  }),
);
const receiver = createServer((req, res) => {
  req.resume().on('end', () => {
    received.webhook++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
process.send!({ ready: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/` });
process.on('message', (m) => {
  if (m === 'count') process.send!({ received });
  if (m === 'stop') {
    for (const s of sockets) s.disconnect();
    receiver.close();
    process.disconnect();
  }
});
