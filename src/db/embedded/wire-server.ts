import { randomBytes, timingSafeEqual } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

/**
 * The PostgreSQL wire protocol in front of one embedded PGlite engine (docs/ARCHITECTURE.md
 * "Embedded PostgreSQL"). Every part of the product — web thread, job threads, the CLI —
 * talks to embedded PostgreSQL through this socket with the `pg` driver, as in production.
 *
 * PGlite is ONE backend. Each client connection is a session that holds the backend from
 * its first message after an idle ReadyForQuery until the backend reports idle again
 * (`Z` with status `I`): a transaction, or an extended-protocol sequence up to its Sync,
 * runs without interleaving; other sessions wait their turn (FIFO). A session that
 * disconnects while it holds the backend is rolled back. Session settings (`SET …`) are
 * shared by all sessions of the one backend, so the product never sets any.
 *
 * Written by hand instead of @electric-sql/pglite-socket because (measured with PGlite
 * 0.5.17): its releases pin one exact PGlite version as a peer; `COPY … FROM STDIN` through
 * it loses protocol synchronisation (PGlite itself aborts on a CopyData message), which our
 * bulk loads need; and it sends the start-up handshake through the shared query queue, so
 * a new connection waits behind a long transaction. Here the handshake is answered without
 * the backend, and `COPY … FROM STDIN` is served by buffering the client's CopyData and
 * running `COPY … FROM '/dev/blob'` (PGlite's bulk path) at CopyDone.
 */

export type WireListen = { path: string } | { host: string; port: number };

export interface WireServerOptions {
  pglite: PGlite;
  listen: WireListen;
  /** Clients must send this password (cleartext over the local socket). */
  password: string;
}

export interface WireServerStats {
  connections: number;
  waiting: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** `COPY <target> FROM STDIN [rest]`: the statements our bulk-load port sends. */
const COPY_FROM_STDIN = /^\s*COPY\s+([\s\S]+?)\s+FROM\s+STDIN\b([\s\S]*?);?\s*$/i;

/**
 * `PAYRIXA DUMP DATA DIR TO '<absolute path>'`: the one statement of our own (payrixa backup,
 * web-api-ops §7.4). The data directory can only be read consistently by the thread that owns
 * the engine, so a client asks for it here: CHECKPOINT, then PGlite's gzip tarball of the data
 * directory, written to the path. Runs while the session holds the backend, so no other
 * session's transaction is half-done in the files; inside the caller's own transaction (a
 * read-only snapshot that counts rows for the manifest) it keeps that transaction open.
 */
const DUMP_DATA_DIR = /^\s*PAYRIXA\s+DUMP\s+DATA\s+DIR\s+TO\s+'((?:[^']|'')+)'\s*;?\s*$/i;

/** A FIFO lock over the single backend. */
class BackendLock {
  private tail: Promise<void> = Promise.resolve();
  waiting = 0;

  async acquire(): Promise<() => void> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.waiting++;
    await previous;
    this.waiting--;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }
}

// ---- message encoding --------------------------------------------------------------------

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function cstring(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function errorResponse(code: string, text: string, severity = 'ERROR'): Buffer {
  return message(
    'E',
    Buffer.concat([
      Buffer.from('S'),
      cstring(severity),
      Buffer.from('V'),
      cstring(severity),
      Buffer.from('C'),
      cstring(code),
      Buffer.from('M'),
      cstring(text),
      Buffer.from([0]),
    ]),
  );
}

function readyForQuery(status: string): Buffer {
  return message('Z', Buffer.from(status, 'latin1'));
}

/**
 * The status byte of the last ReadyForQuery in a backend response, or null when the
 * response has none (an extended-protocol sequence still open).
 */
export function lastReadyStatus(response: Uint8Array): string | null {
  let status: string | null = null;
  let offset = 0;
  while (offset + 5 <= response.length) {
    const type = response[offset];
    const length =
      ((response[offset + 1] as number) << 24) |
      ((response[offset + 2] as number) << 16) |
      ((response[offset + 3] as number) << 8) |
      (response[offset + 4] as number);
    if (type === 0x5a && offset + 5 < response.length)
      status = String.fromCharCode(response[offset + 5] as number);
    offset += 1 + length;
  }
  return status;
}

// ---- the server --------------------------------------------------------------------------

export class EmbeddedWireServer {
  private readonly server: net.Server;
  private readonly lock = new BackendLock();
  private readonly sessions = new Set<Session>();
  private readonly password: Buffer;
  private serverParameters: Array<[string, string]> = [];
  private closing = false;

  constructor(private readonly options: WireServerOptions) {
    this.password = Buffer.from(options.password, 'utf8');
    this.server = net.createServer((socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      const session = new Session(this, socket);
      this.sessions.add(session);
      socket.on('close', () => this.sessions.delete(session));
    });
  }

  get pglite(): PGlite {
    return this.options.pglite;
  }

  /** Listens; resolves with the TCP port (0 for a Unix socket). */
  async start(): Promise<number> {
    const version = await this.pglite.query<{ server_version: string }>('SHOW server_version');
    this.serverParameters = [
      ['server_version', version.rows[0]?.server_version ?? '18'],
      ['server_encoding', 'UTF8'],
      ['client_encoding', 'UTF8'],
      ['DateStyle', 'ISO, MDY'],
      ['IntervalStyle', 'postgres'],
      ['integer_datetimes', 'on'],
      ['standard_conforming_strings', 'on'],
      ['TimeZone', 'UTC'],
      ['is_superuser', 'on'],
    ];
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      const listen = this.options.listen;
      if ('path' in listen) this.server.listen(listen.path, () => resolve());
      else this.server.listen(listen.port, listen.host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  stats(): WireServerStats {
    return { connections: this.sessions.size, waiting: this.lock.waiting };
  }

  /**
   * Stops accepting connections and closes every session (a session inside a transaction
   * is rolled back first). The engine itself is closed by the owner.
   */
  async stop(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.sessions].map((session) => session.terminate()));
    await closed;
  }

  acquireBackend(): Promise<() => void> {
    return this.lock.acquire();
  }

  checkPassword(candidate: Buffer): boolean {
    return candidate.length === this.password.length && timingSafeEqual(candidate, this.password);
  }

  startupMessages(applicationName: string | undefined): Buffer {
    const parts = [message('R', int32(0))];
    const parameters = [...this.serverParameters, ['application_name', applicationName ?? '']];
    for (const [name, value] of parameters) {
      parts.push(message('S', Buffer.concat([cstring(name as string), cstring(value as string)])));
    }
    parts.push(message('K', Buffer.concat([int32(process.pid), randomBytes(4)])));
    parts.push(readyForQuery('I'));
    return Buffer.concat(parts);
  }
}

interface CopyIn {
  /** `COPY <target> FROM '/dev/blob' <rest>` */
  statement: string;
  chunks: Buffer[];
}

/** One client connection: its bytes, its place in the backend queue, its COPY buffer. */
class Session {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Buffer[] = [];
  private phase: 'startup' | 'password' | 'ready' | 'closed' = 'startup';
  private applicationName: string | undefined;
  /** The running drain loop, if any (terminate waits for it before touching the backend). */
  private draining: Promise<void> | null = null;
  /** Release of the backend while this session holds it. */
  private release: (() => void) | null = null;
  private copy: CopyIn | null = null;
  private terminated: Promise<void> | null = null;

  constructor(
    private readonly server: EmbeddedWireServer,
    private readonly socket: net.Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      void this.terminate();
    });
  }

  private receive(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const untyped = this.phase === 'startup';
      const headerLength = untyped ? 4 : 5;
      if (this.buffer.length < headerLength) break;
      const length = untyped ? this.buffer.readInt32BE(0) : this.buffer.readInt32BE(1) + 1;
      if (length < headerLength - 1 || length > 1024 * 1024 * 1024) {
        this.fatal('08P01', 'invalid message length');
        return;
      }
      if (this.buffer.length < length) break;
      const frame = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (untyped) {
        if (!this.startup(frame)) return;
      } else {
        this.pending.push(frame);
      }
    }
    void this.drain();
  }

  /** Start-up packets; answers the handshake without the backend. False when closed. */
  private startup(frame: Buffer): boolean {
    const code = frame.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N');
      return true;
    }
    if (code === CANCEL_REQUEST) {
      // One backend runs one statement at a time; there is nothing to signal.
      this.socket.destroy();
      return false;
    }
    if (code !== PROTOCOL_3) {
      this.fatal('08P01', 'unsupported frontend protocol');
      return false;
    }
    const fields = frame.subarray(8).toString('utf8').split('\0');
    for (let index = 0; index + 1 < fields.length; index += 2) {
      if (fields[index] === 'application_name') this.applicationName = fields[index + 1];
    }
    this.phase = 'password';
    this.socket.write(message('R', int32(3))); // AuthenticationCleartextPassword
    return true;
  }

  private drain(): Promise<void> {
    this.draining ??= this.drainLoop().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    try {
      while (this.pending.length > 0 && this.phase !== 'closed') {
        const frame = this.pending.shift() as Buffer;
        const type = String.fromCharCode(frame[0] as number);
        if (this.phase === 'password') {
          this.authenticate(type, frame);
          continue;
        }
        if (type === 'X') {
          this.phase = 'closed';
          break;
        }
        if (this.copy) {
          await this.copyMessage(type, frame);
          continue;
        }
        if (type === 'd' || type === 'c' || type === 'f') continue; // after a failed COPY: ignored, as PostgreSQL does
        if (type === 'Q') {
          const text = frame.subarray(5, frame.length - 1).toString('utf8');
          const dump = DUMP_DATA_DIR.exec(text);
          if (dump) {
            await this.dumpDataDir((dump[1] as string).replace(/''/g, "'"));
            continue;
          }
          const copy = COPY_FROM_STDIN.exec(text);
          if (copy) {
            this.copy = { statement: `COPY ${copy[1]} FROM '/dev/blob'${copy[2] ?? ''}`, chunks: [] };
            // CopyInResponse: text format, no per-column formats.
            this.socket.write(message('G', Buffer.from([0, 0, 0])));
            continue;
          }
        }
        // Hand the backend every ordinary message that is already here, in one call.
        const batch = [frame];
        while (this.pending.length > 0) {
          const next = this.pending[0] as Buffer;
          const nextType = String.fromCharCode(next[0] as number);
          if (
            nextType === 'X' ||
            nextType === 'Q' ||
            nextType === 'd' ||
            nextType === 'c' ||
            nextType === 'f'
          )
            break;
          batch.push(this.pending.shift() as Buffer);
        }
        await this.execute(batch.length === 1 ? frame : Buffer.concat(batch));
      }
    } catch (error) {
      if (this.phase !== 'closed') {
        const text = error instanceof Error ? error.message : String(error);
        if (!this.socket.destroyed)
          this.socket.end(errorResponse('XX000', `embedded database failure: ${text}`, 'FATAL'));
      }
      this.phase = 'closed';
    }
    if (this.phase === 'closed') queueMicrotask(() => void this.terminate());
  }

  /** Takes the backend for this session (no-op when it holds it already). */
  private async hold(): Promise<void> {
    if (this.release) return;
    const release = await this.server.acquireBackend();
    if (this.phase === 'closed') {
      release();
      throw new Error('session closed');
    }
    this.release = release;
  }

  private authenticate(type: string, frame: Buffer): void {
    if (type !== 'p' || !this.server.checkPassword(frame.subarray(5, frame.length - 1))) {
      this.fatal('28P01', 'password authentication failed for the embedded database');
      return;
    }
    this.phase = 'ready';
    this.socket.write(this.server.startupMessages(this.applicationName));
  }

  /** Runs protocol messages on the backend, holding it until it reports idle. */
  private async execute(messages: Uint8Array): Promise<void> {
    await this.hold();
    const response = await this.server.pglite.execProtocolRaw(messages);
    if (response.length > 0 && !this.socket.destroyed) this.socket.write(response);
    if (lastReadyStatus(response) === 'I') this.releaseBackend();
  }

  private releaseBackend(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }

  /** CopyData is buffered; CopyDone runs the whole load as one `COPY … FROM '/dev/blob'`. */
  private async copyMessage(type: string, frame: Buffer): Promise<void> {
    const copy = this.copy as CopyIn;
    if (type === 'd') {
      copy.chunks.push(frame.subarray(5));
      return;
    }
    if (type === 'H' || type === 'S') return; // allowed in copy mode and meaningless here
    this.copy = null;
    const pglite = this.server.pglite;
    if (type === 'c') {
      await this.hold();
      try {
        await pglite._handleBlob(new Blob(copy.chunks));
        const response = await pglite.execProtocolRaw(queryMessage(copy.statement));
        this.socket.write(response);
        if (lastReadyStatus(response) === 'I') this.releaseBackend();
      } finally {
        await pglite._cleanupBlob();
      }
      return;
    }
    // CopyFail (or a message that has no place in copy mode): the COPY fails, and an open
    // transaction is aborted, as on PostgreSQL. A raised error does both natively.
    const reason = type === 'f' ? 'COPY from stdin failed' : 'unexpected message during COPY';
    await this.execute(
      queryMessage(
        `DO $payrixa$ BEGIN RAISE EXCEPTION USING ERRCODE = '57014', MESSAGE = '${reason}'; END $payrixa$`,
      ),
    );
  }

  /**
   * Writes the data directory's gzip tarball to `target` (via a temporary name, so a reader
   * never sees half a file) and answers with one row: `bytes`.
   */
  private async dumpDataDir(target: string): Promise<void> {
    const pglite = this.server.pglite;
    await this.hold();
    let reply: Buffer;
    try {
      if (!path.isAbsolute(target)) throw new Error('the dump path must be absolute');
      const checkpoint = await pglite.execProtocolRaw(queryMessage('CHECKPOINT'));
      const failure = errorText(checkpoint);
      if (failure) throw new Error(failure);
      const tarball = await pglite.dumpDataDir('gzip');
      const bytes = Buffer.from(await tarball.arrayBuffer());
      const partial = `${target}.partial`;
      try {
        writeFileSync(partial, bytes, { mode: 0o600 });
        renameSync(partial, target);
      } catch (error) {
        rmSync(partial, { force: true });
        throw error;
      }
      reply = Buffer.concat([
        message(
          'T',
          Buffer.concat([
            int16(1),
            cstring('bytes'),
            int32(0),
            int16(0),
            int32(25),
            int16(-1),
            int32(-1),
            int16(0),
          ]),
        ),
        message(
          'D',
          Buffer.concat([
            int16(1),
            int32(Buffer.byteLength(String(bytes.length))),
            Buffer.from(String(bytes.length)),
          ]),
        ),
        message('C', cstring('PAYRIXA DUMP')),
      ]);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      reply = errorResponse('58000', `could not dump the data directory: ${text}`);
    }
    // The transaction status of the session (idle, or the caller's own transaction).
    const status = lastReadyStatus(await pglite.execProtocolRaw(syncMessage())) ?? 'I';
    if (!this.socket.destroyed) this.socket.write(Buffer.concat([reply, readyForQuery(status)]));
    if (status === 'I') this.releaseBackend();
  }

  private fatal(code: string, text: string): void {
    if (!this.socket.destroyed) this.socket.end(errorResponse(code, text, 'FATAL'));
    this.phase = 'closed';
    this.pending.length = 0;
    void this.terminate();
  }

  /** Closes the session; a transaction or half-sent sequence it holds is rolled back. */
  terminate(): Promise<void> {
    this.terminated ??= (async () => {
      this.phase = 'closed';
      this.pending.length = 0;
      this.copy = null;
      // Let the message in flight finish: the engine runs one call at a time.
      await this.draining?.catch(() => {});
      if (this.release) {
        try {
          const pglite = this.server.pglite;
          const status = lastReadyStatus(await pglite.execProtocolRaw(syncMessage()));
          if (status !== 'I') await pglite.execProtocolRaw(queryMessage('ROLLBACK'));
        } catch {
          // The engine is going away; nothing left to undo.
        } finally {
          this.releaseBackend();
        }
      }
      if (!this.socket.destroyed) this.socket.destroy();
    })();
    return this.terminated;
  }
}

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

/** The message of the first ErrorResponse in a backend response, or null. */
function errorText(response: Uint8Array): string | null {
  const bytes = Buffer.from(response);
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const length = bytes.readInt32BE(offset + 1);
    if (bytes[offset] === 0x45) {
      const fields = bytes
        .subarray(offset + 5, offset + 1 + length)
        .toString('utf8')
        .split('\0');
      const text = fields.find((field) => field.startsWith('M'));
      return text ? text.slice(1) : 'error';
    }
    offset += 1 + length;
  }
  return null;
}

function queryMessage(text: string): Buffer {
  return message('Q', cstring(text));
}

function syncMessage(): Buffer {
  return message('S');
}

export const wireMessagesForTests = { errorResponse, readyForQuery };
