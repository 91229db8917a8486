import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/processes.ts';

export { freePort };

/**
 * Processes of the operations checks: a private PostgreSQL cluster and Redis (so a check may
 * stop them without disturbing anyone else's), and `payrixa` commands run as real processes.
 * Everything started here is stopped by the caller's afterAll, by process id.
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  const latest = versions.at(-1);
  if (!latest) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  return path.join(base, latest, 'bin');
}

const isRoot = process.getuid?.() === 0;

/** PostgreSQL refuses to run as root: run its tools as the postgres system user then. */
function asPostgres(tool: string, args: string[]): string {
  const binary = path.join(postgresBin(), tool);
  return isRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', binary, ...args], { encoding: 'utf8' })
    : execFileSync(binary, args, { encoding: 'utf8' });
}

/** A throw-away PostgreSQL cluster in `dir` on `port` (trust auth for user payrixa). */
export class PostgresCluster {
  readonly url: string;
  private readonly dataDir: string;
  private running = false;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {
    this.dataDir = path.join(dir, 'pgdata');
    this.url = `postgres://payrixa@127.0.0.1:${port}/postgres`;
  }

  static async create(dir: string): Promise<PostgresCluster> {
    const cluster = new PostgresCluster(dir, await freePort());
    mkdirSync(cluster.dataDir, { recursive: true });
    if (isRoot) {
      // mkdtemp directories are 0700: the postgres user must be able to reach its own.
      for (let up = path.dirname(dir); up !== path.dirname(up) && up !== tmpdir(); up = path.dirname(up)) {
        chmodSync(up, 0o711);
      }
      // The postgres user owns the cluster and writes its socket and log into `dir`.
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
      chownSync(cluster.dataDir, uid, gid);
    }
    asPostgres('initdb', [
      '-D',
      cluster.dataDir,
      '-U',
      'payrixa',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    cluster.start();
    return cluster;
  }

  start(): void {
    asPostgres('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'postgres.log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]);
    this.running = true;
  }

  /** `pg_ctl stop -m fast`: sessions are terminated, the server shuts down cleanly. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    asPostgres('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
    this.running = false;
  }

  /** For afterAll: stops the server if it runs, ignoring errors. */
  destroy(): void {
    if (!this.running) return;
    try {
      this.stop('immediate');
    } catch {
      // Already gone.
    }
  }
}

/** A child process with its output kept for assertions and for the failure message. */
export class Child {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.stdout?.on('data', (chunk) => {
      this.output += String(chunk);
    });
    process.stderr?.on('data', (chunk) => {
      this.output += String(chunk);
    });
    this.exited = new Promise((resolve) => process.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** JSON log lines (LOG_FORMAT=json) whose `msg` is `message`. */
  logLines(message: string): Array<Record<string, unknown>> {
    const lines: Array<Record<string, unknown>> = [];
    for (const line of this.output.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed['msg'] === message) lines.push(parsed);
      } catch {
        // A partial line still being written.
      }
    }
    return lines;
  }

  /**
   * Kills the child and, for `serve --workers`, its cluster workers: each child is started
   * as the leader of its own process group, so the group id is its pid.
   */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.process.pid === undefined) return;
    try {
      process.kill(-this.process.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Starts `payrixa <args>` with exactly `env` (plus PATH and HOME). */
export function startPayrixa(name: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'payrixa'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return new Child(name, child);
}

/** Starts a Redis without persistence on `port`, in the foreground (a child of this process). */
export function startRedis(dir: string, port: number): Child {
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  return new Child('redis', child);
}
