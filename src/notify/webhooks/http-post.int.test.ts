import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './http-post.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let server: Server;
let port: number;
let handler: Handler = (_req, res) => res.end('ok');
const seen: Array<{ host: string | undefined; body: string; headers: IncomingMessage['headers'] }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ host: req.headers.host, body, headers: req.headers });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function post(path = '/hook', options: { timeoutMs?: number; host?: string } = {}) {
  const host = options.host ?? '127.0.0.1';
  return postWebhook({
    destination: { url: new URL(`http://${host}:${port}${path}`), address: '127.0.0.1', family: 4 },
    headers: { 'Content-Type': 'application/json', 'X-Test': 'yes' },
    body: '{"hello":"wörld"}',
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

describe('postWebhook on a loopback receiver', () => {
  it('2xx: success with the status and body, exact bytes sent', async () => {
    handler = (_req, res) => res.writeHead(202).end('accepted');
    const result = await post();
    expect(result).toMatchObject({ ok: true, status: 202, responseBody: 'accepted', error: null });
    const last = seen.at(-1)!;
    expect(last.body).toBe('{"hello":"wörld"}');
    expect(last.headers['content-length']).toBe(String(Buffer.byteLength('{"hello":"wörld"}')));
    expect(last.headers['x-test']).toBe('yes');
  });

  it('connects to the checked address while the Host header keeps the URL host', async () => {
    handler = (_req, res) => res.end('ok');
    const result = await post('/hook', { host: 'hooks.example.test' });
    expect(result.ok).toBe(true);
    expect(seen.at(-1)!.host).toBe(`hooks.example.test:${port}`);
  });

  it('500: "HTTP 500: <first 200 chars>"', async () => {
    handler = (_req, res) => res.writeHead(500).end('Internal Server Error');
    expect(await post()).toMatchObject({
      ok: false,
      status: 500,
      error: 'HTTP 500: Internal Server Error',
      responseBody: 'Internal Server Error',
    });
    handler = (_req, res) => res.writeHead(503).end('x'.repeat(5_000));
    const long = await post();
    expect(long.error).toBe(`HTTP 503: ${'x'.repeat(200)}`);
    expect(long.responseBody).toHaveLength(1_000);
  });

  it('a redirect is not followed: 3xx is a failure', async () => {
    handler = (req, res) => {
      if (req.url === '/moved') res.writeHead(302, { Location: '/target' }).end();
      else res.end('target');
    };
    const before = seen.length;
    const result = await post('/moved');
    expect(result).toMatchObject({ ok: false, status: 302, error: 'HTTP 302' });
    expect(seen.length).toBe(before + 1);
  });

  it('a huge response is read only up to the cap and never hangs', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      const chunk = 'y'.repeat(64 * 1024);
      // ~64 MB unless the client stops reading.
      let sent = 0;
      const pump = () => {
        while (sent < 1_000 && res.write(chunk)) sent++;
        if (sent < 1_000 && !res.destroyed) res.once('drain', pump);
        else res.end();
      };
      res.on('error', () => {});
      pump();
    };
    const result = await post('/hook', { timeoutMs: 5_000 });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.responseBody).toBe('y'.repeat(1_000));
  });

  it('no response before the deadline: "Request timed out"', async () => {
    handler = () => {
      /* never answers */
    };
    const result = await post('/hook', { timeoutMs: 150 });
    expect(result).toEqual({
      ok: false,
      status: null,
      responseBody: '',
      error: 'Request timed out',
      durationMs: expect.any(Number),
    });
  });

  it('a body trickling past the deadline ends the read with the status already received', async () => {
    handler = (_req, res) => {
      res.writeHead(500);
      res.write('partial');
      // and never ends
    };
    const result = await post('/hook', { timeoutMs: 150 });
    expect(result).toMatchObject({ ok: false, status: 500, error: 'HTTP 500: partial' });
  });

  it('a refused connection is "Error: <message>"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await postWebhook({
      destination: { url: new URL(`http://127.0.0.1:${deadPort}/`), address: '127.0.0.1', family: 4 },
      headers: {},
      body: '{}',
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^Error: connect ECONNREFUSED/);
  });
});
