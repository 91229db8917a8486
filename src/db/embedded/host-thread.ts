import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { EmbeddedWireServer, type WireListen } from './wire-server.ts';

/**
 * The embedded database host thread: opens PGlite on the data directory and serves it on
 * the local socket (wire-server.ts). The engine's WebAssembly runs here, never on the
 * thread that serves HTTP. Messages: in `{type:'stop'}`; out `ready` (with the TCP port,
 * 0 for a Unix socket), `error`, `stopped`.
 */

interface HostData {
  dataDir: string;
  listen: WireListen;
  password: string;
}

const data = workerData as HostData;
const port = parentPort;
if (!port) throw new Error('host-thread.ts must run as a worker thread');

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let pglite: PGlite | null = null;
let server: EmbeddedWireServer | null = null;
try {
  pglite = await PGlite.create(data.dataDir);
  server = new EmbeddedWireServer({ pglite, listen: data.listen, password: data.password });
  const tcpPort = await server.start();
  port.postMessage({ type: 'ready', port: tcpPort });
} catch (error) {
  await pglite?.close().catch(() => {});
  port.postMessage({ type: 'error', message: describe(error) });
  port.close();
}

port.on('message', async (message: { type: string }) => {
  if (message.type !== 'stop') return;
  try {
    await server?.stop();
    if (pglite && !pglite.closed) await pglite.close();
    port.postMessage({ type: 'stopped' });
  } catch (error) {
    port.postMessage({ type: 'error', message: describe(error) });
  } finally {
    port.close();
  }
});
