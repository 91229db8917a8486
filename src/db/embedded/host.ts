import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { DependencyError } from '../../config/errors.ts';
import { spawnThread } from '../../threads/spawn.ts';
import type { WireListen } from './wire-server.ts';

/**
 * Where embedded PostgreSQL lives (docs/ARCHITECTURE.md "Embedded PostgreSQL"): the first
 * Payrixa process that needs the data directory hosts PGlite in a worker thread of its own,
 * serving it on a local socket; it writes `<pgdata>.server.json` (mode 0600: address and
 * password) so that every other Payrixa process — the CLI beside a running `serve` — connects
 * to the same engine with the `pg` driver instead of opening the files a second time.
 */

/** How to reach an embedded server: `host` is the socket directory, or 127.0.0.1 with a TCP port. */
export interface EmbeddedAddress {
  host: string;
  port: number;
  password: string;
}

/** The record of a running embedded server, read by the processes that connect to it. */
export interface EmbeddedServerRecord {
  pid: number;
  /** The command that hosts it, e.g. `serve`, `demo`, `migrate`. */
  role: string;
  dataDir: string;
  address: EmbeddedAddress;
  startedAt: string;
}

export interface EmbeddedHost {
  readonly record: EmbeddedServerRecord;
  /** Closes every session (rolling back open transactions), closes PGlite, removes the record. */
  stop(): Promise<void>;
  /** Called once if the host thread dies on its own (the engine crashed). */
  onExit(listener: (reason: string) => void): void;
}

/** Unix socket paths longer than this do not fit sockaddr_un on every platform. */
const MAX_SOCKET_PATH = 100;
const SOCKET_PORT = 5432;
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export function serverRecordPath(dataDir: string): string {
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}.server.json`);
}

function lockPath(dataDir: string): string {
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}.lock`);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live server of `dataDir`, or null (no record, or its process is gone). */
export function readServerRecord(dataDir: string): EmbeddedServerRecord | null {
  try {
    const record = JSON.parse(readFileSync(serverRecordPath(dataDir), 'utf8')) as EmbeddedServerRecord;
    if (!Number.isInteger(record.pid) || !record.address) return null;
    return isProcessAlive(record.pid) ? record : null;
  } catch {
    return null;
  }
}

/** The pid holding the data directory's lock, when that process is alive. */
export function lockHolder(dataDir: string): number | null {
  try {
    const holder = Number(readFileSync(lockPath(dataDir), 'utf8').trim());
    return holder && isProcessAlive(holder) ? holder : null;
  } catch {
    return null;
  }
}

/**
 * PGlite allows one owner of its data directory; two processes opening it would corrupt
 * it. The lock file is created exclusively; a lock left by a dead process is taken over.
 */
function acquireDataDirLock(dataDir: string): () => void {
  const file = lockPath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(dataDir);
      if (holder !== null) {
        throw new DependencyError(
          `The embedded database in ${dataDir} is in use by process ${holder}, which does not serve it to other commands. Stop that process first, or set DATABASE_URL.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new DependencyError(`Could not lock the embedded database in ${dataDir}.`);
}

function listenAddress(dataDir: string): { listen: WireListen; host: string } {
  const socketDir = path.join(path.dirname(dataDir), 'run');
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (process.platform !== 'win32' && socketPath.length <= MAX_SOCKET_PATH) {
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    chmodSync(socketDir, 0o700);
    rmSync(socketPath, { force: true }); // left by a process that did not stop cleanly
    return { listen: { path: socketPath }, host: socketDir };
  }
  // A data directory too deep for a Unix socket: loopback TCP on a free port (password-protected).
  return { listen: { host: '127.0.0.1', port: 0 }, host: '127.0.0.1' };
}

/**
 * Hosts the embedded engine of `dataDir` in a worker thread of this process and publishes
 * its address. Throws DependencyError when another process holds the directory.
 */
export async function startEmbeddedHost(dataDir: string, role: string): Promise<EmbeddedHost> {
  mkdirSync(dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(dataDir);
  const password = randomBytes(24).toString('base64url');
  const { listen, host } = listenAddress(dataDir);
  let thread: Worker;
  let port: number;
  try {
    thread = spawnThread(
      new URL('./host-thread.ts', import.meta.url),
      { dataDir, listen, password },
      'payrixa-embedded-db',
    );
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the database thread did not start in time')),
        START_TIMEOUT_MS,
      );
      thread.once('message', (message: { type: string; port?: number; message?: string }) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.port ?? 0);
        else reject(new Error(message.message ?? 'the database thread failed'));
      });
      thread.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      thread.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the database thread exited (${code})`));
      });
    });
  } catch (error) {
    releaseLock();
    const reason = error instanceof Error ? error.message : String(error);
    throw new DependencyError(`Cannot open the embedded database in ${dataDir}: ${reason}`);
  }
  thread.removeAllListeners();
  const record: EmbeddedServerRecord = {
    pid: process.pid,
    role,
    dataDir,
    address: { host, port: 'path' in listen ? SOCKET_PORT : port, password },
    startedAt: new Date().toISOString(),
  };
  const recordFile = serverRecordPath(dataDir);
  writeFileSync(recordFile, JSON.stringify(record), { mode: 0o600 });

  let stopping: Promise<void> | null = null;
  const exitListeners: Array<(reason: string) => void> = [];
  thread.on('error', () => {});
  thread.on('exit', (code) => {
    if (stopping) return;
    for (const listener of exitListeners) listener(`the embedded database thread exited (${code})`);
  });
  const cleanup = (): void => {
    rmSync(recordFile, { force: true });
    if ('path' in listen) rmSync(listen.path, { force: true });
    releaseLock();
  };
  return {
    record,
    onExit(listener) {
      exitListeners.push(listener);
    },
    stop() {
      stopping ??= (async () => {
        // Connecting processes look for the record first: remove it before the socket goes.
        rmSync(recordFile, { force: true });
        const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
        thread.postMessage({ type: 'stop' });
        const timer = setTimeout(() => void thread.terminate(), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
        cleanup();
      })();
      return stopping;
    },
  };
}
