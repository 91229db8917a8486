import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AppError } from '../config/errors.ts';

/**
 * pg_dump / pg_restore for `payrixa backup` and `payrixa restore`. The connection goes to
 * the tools through PG* environment variables, never the command line (where `ps` shows it)
 * and never our output.
 */

export type PgTool = 'pg_dump' | 'pg_restore';

export interface ResolvedPgTool {
  tool: PgTool;
  path: string;
  major: number;
}

function toolMajor(binary: string): number | null {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return null;
  // "pg_dump (PostgreSQL) 15.10 (Debian 15.10-1.pgdg120+1)"
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(result.stdout);
  return match ? Number(match[1]) : null;
}

/**
 * The tool to talk to a server of `serverMajor`: Debian/Ubuntu's versioned copy
 * (/usr/lib/postgresql/<major>/bin) when installed, else the one on PATH. pg_dump refuses a
 * newer server, so a missing or older tool is a clear error naming the package to install.
 */
export function resolvePgTool(tool: PgTool, serverMajor: number): ResolvedPgTool {
  const install = `install the PostgreSQL ${serverMajor} client tools (Debian/Ubuntu: apt install postgresql-client-${serverMajor}) and make ${tool} ${serverMajor} or newer the first on PATH`;
  const candidates = [`/usr/lib/postgresql/${serverMajor}/bin/${tool}`, tool];
  let older: ResolvedPgTool | null = null;
  for (const candidate of candidates) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    const major = toolMajor(candidate);
    if (major === null) continue;
    if (major >= serverMajor) return { tool, path: candidate, major };
    older ??= { tool, path: candidate, major };
  }
  if (older) {
    throw new AppError(
      'pg_tool_too_old',
      `${tool} ${older.major} (${older.path}) is older than the PostgreSQL ${serverMajor} server; ${install}.`,
    );
  }
  throw new AppError('pg_tool_missing', `${tool} was not found; ${install}.`);
}

/** PG* variables for a `postgres://user:password@host:port/db?sslmode=…` URL. */
export function pgToolEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Variables of the operator's shell must not redirect the tools to another server.
  for (const name of Object.keys(env)) if (name.startsWith('PG')) delete env[name];
  const socketHost = parsed.searchParams.get('host');
  if (parsed.hostname || socketHost) env['PGHOST'] = socketHost ?? decodeURIComponent(parsed.hostname);
  if (parsed.port) env['PGPORT'] = parsed.port;
  if (parsed.username) env['PGUSER'] = decodeURIComponent(parsed.username);
  if (parsed.password) env['PGPASSWORD'] = decodeURIComponent(parsed.password);
  env['PGDATABASE'] = databaseName(url);
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode) env['PGSSLMODE'] = sslmode;
  env['PGAPPNAME'] = 'payrixa-backup';
  return env;
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/**
 * Runs a tool; resolves with its stdout (Buffer), or rejects with an AppError carrying the
 * tool's own message (stderr holds no password: the connection came through the environment).
 */
export function runPgTool(tool: ResolvedPgTool, args: string[], env: NodeJS.ProcessEnv): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err += String(chunk);
    });
    child.once('error', (error) =>
      reject(new AppError('pg_tool_failed', `${tool.tool} failed: ${error.message}`)),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else {
        const detail = err.trim().split('\n').slice(0, 5).join('; ') || `exit code ${code}`;
        reject(new AppError('pg_tool_failed', `${tool.tool} failed: ${detail}`));
      }
    });
  });
}
