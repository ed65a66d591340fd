// The child side of lib/harness.mjs: answers the parent's commands over IPC.
import { once } from 'node:events';

/** Listens on 127.0.0.1 on a free port; returns the base URL. */
export async function listen(serverOrApp) {
  const server = typeof serverOrApp.listen === 'function' && !serverOrApp.address ? serverOrApp.listen(0, '127.0.0.1') : serverOrApp;
  if (!server.listening) await once(server, 'listening');
  return `http://127.0.0.1:${server.address().port}`;
}

/** Reports `ready` to the parent, then runs its commands; 'stop' calls `onStop` and exits. */
export function serve(ready, commands = {}, onStop = async () => {}) {
  process.on('message', async (m) => {
    if (m?.cmd === 'stop') {
      await onStop().catch(() => {});
      process.exit(0);
    }
    try {
      // CPU time of this process (µs): the suite divides it by the requests served, a figure a
      // busy machine disturbs far less than requests per second.
      const fn = m.cmd === 'cpu' ? () => { const u = process.cpuUsage(); return u.user + u.system; } : commands[m.cmd];
      if (!fn) throw new Error(`unknown command ${m.cmd}`);
      process.send({ id: m.id, result: await fn(...(m.args ?? [])) });
    } catch (e) {
      process.send({ id: m.id, error: e?.message ?? String(e) });
    }
  });
  // The parent went away: don't linger.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready });
}

export { bareContext, SCOPE, SECRET, contextJson } from '../shape.mjs';
