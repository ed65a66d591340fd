// A TCP round-robin balancer (what an L4 load balancer does): each new connection goes to the
// next backend, bytes are piped untouched. Runs in the parent; the same balancer fronts the bare
// pair and the smart-launch pair, so its cost is on both sides of the ratio.
import net from 'node:net';
import { once } from 'node:events';

export async function roundRobin(backends) {
  let next = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    const { hostname, port } = new URL(backends[next++ % backends.length]);
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}
