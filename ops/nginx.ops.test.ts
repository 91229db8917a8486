import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test/processes.ts';
import { OPS_DATABASE_URL, OPS_ENABLED, OPS_REDIS_URL } from './ops-env.ts';

/**
 * nginx in front of `payrixa serve` as deploy/nginx/payrixa.conf sets it up (web-api-ops §7.3
 * CI paragraph): the file itself, with only placeholders replaced — domain → localhost, ports
 * 80/443 → free loopback ports, certificate → a self-signed one, static alias → a
 * collectstatic output, upstream socket → the socket of a production-mode `payrixa serve` on
 * a scratch PostgreSQL database and Redis (production refuses to start without either).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'payrixa');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string;
  /** Source address of the connection (any 127/8 address is loopback). */
  localAddress?: string;
}

describe.skipIf(!OPS_ENABLED || !OPS_DATABASE_URL || !OPS_REDIS_URL)(
  'nginx in front of payrixa serve',
  () => {
    let work: string;
    let httpPort: number;
    let httpsPort: number;
    let certificate: Buffer;
    let databaseName: string;
    let databaseUrl: string;
    let serve: ChildProcess | null = null;
    let nginx: ChildProcess | null = null;
    let nginxTest: ReturnType<typeof spawnSync>;
    let serveOutput = '';

    const adminQuery = async (statement: string): Promise<void> => {
      const client = new pg.Client({ connectionString: OPS_DATABASE_URL as string });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };

    function send(scheme: 'http' | 'https', call: Call): Promise<Reply> {
      return new Promise((resolve, reject) => {
        const options = {
          host: '127.0.0.1',
          port: scheme === 'https' ? httpsPort : httpPort,
          method: call.method ?? 'GET',
          path: call.path,
          headers: { host: 'localhost', ...call.headers },
          ...(call.localAddress && { localAddress: call.localAddress }),
        };
        const onResponse = (response: http.IncomingMessage): void => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
          );
        };
        const request =
          scheme === 'https'
            ? https.request({ ...options, ca: certificate, servername: 'localhost' }, onResponse)
            : http.request(options, onResponse);
        request.on('error', reject);
        request.end(call.body);
      });
    }

    function waitFor(predicate: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const poll = (): void => {
          if (predicate()) resolve();
          else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
          else setTimeout(poll, 100);
        };
        poll();
      });
    }

    async function stop(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await exited;
      clearTimeout(timer);
    }

    beforeAll(async () => {
      work = mkdtempSync(path.join(tmpdir(), 'payrixa-nginx-'));
      httpPort = await freePort();
      httpsPort = await freePort();

      // Self-signed certificate for localhost.
      const cert = path.join(work, 'fullchain.pem');
      const key = path.join(work, 'privkey.pem');
      const openssl = spawnSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
          '-addext',
          'subjectAltName=DNS:localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ]),
        { encoding: 'utf8' },
      );
      expect(openssl.status, openssl.stderr).toBe(0);
      certificate = readFileSync(cert);

      // Scratch database; production mode on PostgreSQL + Redis.
      databaseName = `payrixa_ops_nginx_${randomBytes(4).toString('hex')}`;
      await adminQuery(`CREATE DATABASE ${databaseName}`);
      const url = new URL(OPS_DATABASE_URL as string);
      url.pathname = `/${databaseName}`;
      databaseUrl = url.toString();
      const staticRoot = path.join(work, 'static');
      const media = path.join(work, 'media');
      mkdirSync(media);
      const socket = path.join(work, 'payrixa.sock');
      const env = {
        ...process.env,
        PAYRIXA_ENV: 'production',
        SECRET_KEY: randomBytes(48).toString('base64'),
        FIELD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ALLOWED_HOSTS: 'localhost',
        PORTAL_BASE_URL: 'https://localhost',
        DATABASE_URL: databaseUrl,
        REDIS_URL: OPS_REDIS_URL as string,
        REDIS_PREFIX: `payrixa-ops-${databaseName}`,
        EMAIL_BACKEND: 'log',
        DATA_DIR: path.join(work, 'data'),
        STATIC_ROOT: staticRoot,
        BACKUP_DIR: path.join(work, 'backups'),
        LOG_LEVEL: 'warn',
      };
      // Checklist steps 1 and 2, in that order, as an operator runs them.
      for (const args of [['migrate'], ['collectstatic']]) {
        const step = spawnSync(process.execPath, [CLI, ...args], { env, cwd: work, encoding: 'utf8' });
        expect(step.status, `payrixa ${args.join(' ')}: ${step.stderr}`).toBe(0);
      }

      serve = spawn(process.execPath, [CLI, 'serve', '--bind', `unix:${socket}`, '--workers', '1'], {
        env,
        cwd: work,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      serve.stdout?.on('data', (chunk) => {
        serveOutput += String(chunk);
      });
      serve.stderr?.on('data', (chunk) => {
        serveOutput += String(chunk);
      });
      await waitFor(
        () => serveOutput.includes('is running at') || serve?.exitCode !== null,
        'payrixa serve to start',
      );
      expect(serve.exitCode, serveOutput).toBeNull();

      // The site file with its placeholders replaced, inside a minimal main configuration.
      const site = readFileSync(path.join(ROOT, 'deploy', 'nginx', 'payrixa.conf'), 'utf8')
        .replaceAll('unix:/run/payrixa/payrixa.sock', `unix:${socket}`)
        .replaceAll('listen 80;', `listen 127.0.0.1:${httpPort};`)
        .replaceAll('listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`)
        .replaceAll('server_name payrixa.example.com www.payrixa.example.com;', 'server_name localhost;')
        .replaceAll('/etc/letsencrypt/live/payrixa.example.com/fullchain.pem', cert)
        .replaceAll('/etc/letsencrypt/live/payrixa.example.com/privkey.pem', key)
        .replaceAll('/var/www/payrixa/static/', `${staticRoot}/`)
        .replaceAll('/var/www/payrixa/media/', `${media}/`);
      const directives = site
        .split('\n')
        .filter((line) => !line.trim().startsWith('#'))
        .join('\n');
      expect(directives).not.toContain('payrixa.example.com');
      expect(directives).not.toContain('/run/payrixa/');
      expect(directives).not.toContain('/var/www/');
      writeFileSync(path.join(work, 'site.conf'), site);
      // Workers read files in this private temp dir: as root they must stay root.
      const asRoot = process.getuid?.() === 0;
      writeFileSync(
        path.join(work, 'nginx.conf'),
        `${asRoot ? 'user root;\n' : ''}worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/error.log warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  log_format ids '$request_id $status "$request_uri"';
  access_log ${work}/access.log ids;
  client_body_temp_path ${work}/client_body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  include ${work}/site.conf;
}
`,
      );
      const nginxArgs = ['-p', work, '-e', path.join(work, 'error.log'), '-c', path.join(work, 'nginx.conf')];
      nginxTest = spawnSync('nginx', ['-t', ...nginxArgs], { encoding: 'utf8' });
      if (nginxTest.status !== 0) return;
      nginx = spawn('nginx', [...nginxArgs, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let nginxErrors = '';
      nginx.stderr?.on('data', (chunk) => {
        nginxErrors += String(chunk);
      });
      let ready = false;
      await waitFor(() => {
        if (nginx?.exitCode !== null) return true;
        send('https', { path: '/health/' }).then(
          () => {
            ready = true;
          },
          () => undefined,
        );
        return ready;
      }, 'nginx to accept TLS connections');
      expect(nginx.exitCode, nginxErrors).toBeNull();
    });

    afterAll(async () => {
      // Each step on its own: a failure above must not leave nginx, serve or the database behind.
      await stop(nginx, 'SIGQUIT').catch(() => undefined);
      await stop(serve, 'SIGTERM').catch(() => undefined);
      if (databaseName) await adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('nginx -t accepts deploy/nginx/payrixa.conf with the placeholders replaced', () => {
      expect(nginxTest.status, String(nginxTest.stderr)).toBe(0);
      expect(String(nginxTest.stderr)).toContain('test is successful');
    });

    it('http:// is redirected to https:// with the path and query kept', async () => {
      const reply = await send('http', { path: '/portal/login/?next=%2Fportal%2Fclaims%2F' });
      expect(reply.status).toBe(301);
      expect(reply.headers.location).toBe('https://localhost/portal/login/?next=%2Fportal%2Fclaims%2F');
    });

    it('/health/ over TLS returns the health JSON', async () => {
      const reply = await send('https', { path: '/health/' });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatch(/^\{"status":"healthy","timestamp":\d+\.\d{1,3}\}$/);
    });

    it('/portal/login/ is 200 through the proxy, with nginx’s request id and a Secure HttpOnly Lax session cookie', async () => {
      const reply = await send('https', { path: '/portal/login/?probe=login-id' });
      // 200, not 301: the app saw X-Forwarded-Proto https from its trusted (unix-socket) proxy.
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('name="csrf_token"');
      const requestId = String(reply.headers['x-request-id']);
      expect(requestId).toMatch(/^[0-9a-f]{32}$/);
      // nginx writes its log line once the response is out; wait for it rather than race it.
      const loggedLine = (): string | undefined =>
        readFileSync(path.join(work, 'access.log'), 'utf8')
          .split('\n')
          .find((line) => line.endsWith('"/portal/login/?probe=login-id"'));
      await waitFor(() => loggedLine() !== undefined, 'the access log line', 10_000).catch(() => undefined);
      const logged = loggedLine();
      expect(logged?.split(' ')[0]).toBe(requestId);
      // HSTS only goes out on requests the app sees as https.
      expect(reply.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      const session = ([] as string[])
        .concat(reply.headers['set-cookie'] ?? [])
        .find((cookie) => cookie.startsWith('payrixa_session='));
      expect(session).toMatch(/^payrixa_session=[A-Za-z0-9_-]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    });

    it('/static/ files are served by nginx with Cache-Control public, immutable (images included)', async () => {
      for (const file of ['/static/css/payrixa.css', '/static/img/favicon.svg', '/static/img/favicon.ico']) {
        const reply = await send('https', { path: file });
        expect(reply.status, file).toBe(200);
        expect(reply.headers['cache-control'], file).toContain('public, immutable');
        // Straight from disk: the app would have added its request id.
        expect(reply.headers['x-request-id'], file).toBeUndefined();
      }
    });

    it('a 51 MB body is refused by nginx with 413', async () => {
      const reply = await send('https', {
        method: 'POST',
        path: '/portal/uploads/',
        headers: { 'content-type': 'text/csv', 'content-length': 51 * 1024 * 1024 },
        body: '',
      }).catch((error: unknown) => ({ status: -1, headers: {}, body: String(error) }));
      expect(reply.status).toBe(413);
      expect(reply.body).toContain('nginx');
    });

    it('the app sees the real client address; a spoofed X-Forwarded-For or X-Real-IP is ignored', async () => {
      const client = '127.0.0.2';
      const page = await send('https', { path: '/portal/login/', localAddress: client });
      const cookies = ([] as string[])
        .concat(page.headers['set-cookie'] ?? [])
        .map((cookie) => cookie.split(';')[0])
        .join('; ');
      const token = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1];
      expect(token).toBeDefined();
      const form = new URLSearchParams({
        csrf_token: token as string,
        next: '',
        username: 'nobody-ops',
        password: 'not-the-password',
      }).toString();
      const reply = await send('https', {
        method: 'POST',
        path: '/portal/login/',
        localAddress: client,
        headers: {
          cookie: cookies,
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': '203.0.113.9',
          'x-real-ip': '203.0.113.9',
        },
        body: form,
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('id="login-error"');

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ ip: string; request_id: string }>(
          "SELECT ip, request_id FROM audit_events WHERE action = 'login_failed'",
        );
        expect(rows).toEqual([{ ip: client, request_id: String(reply.headers['x-request-id']) }]);
      } finally {
        await db.end();
      }
    });

    it.skipIf(!hasSystemdAnalyze)(
      'systemd-analyze verify accepts the units (skipped when systemd-analyze is absent)',
      () => {
        const units = mkdtempSync(path.join(work, 'units-'));
        for (const name of ['payrixa-web.service', 'payrixa-worker.service']) {
          // verify checks that ExecStart exists: point it at this checkout's CLI.
          const text = readFileSync(path.join(ROOT, 'deploy', 'systemd', name), 'utf8').replaceAll(
            '/var/www/payrixa/bin/payrixa',
            CLI,
          );
          writeFileSync(path.join(units, name), text);
        }
        const result = spawnSync(
          'systemd-analyze',
          ['verify', path.join(units, 'payrixa-web.service'), path.join(units, 'payrixa-worker.service')],
          { encoding: 'utf8' },
        );
        expect(result.status, result.stderr).toBe(0);
        expect(result.stderr).not.toMatch(/Unknown (key|section)|Failed to parse|Invalid/);
      },
    );
  },
);
