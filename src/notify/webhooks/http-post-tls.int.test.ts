import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './http-post.ts';

/**
 * HTTPS to a pinned address: the socket goes to 127.0.0.1 while TLS still sends the URL's host
 * as SNI and checks the certificate against it. A self-signed certificate for
 * hooks.example.test is made with openssl for the test and trusted through `tls.ca`.
 */

let dir: string;
let cert: Buffer;
let server: Server;
let port: number;
let sni: string | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'payrixa-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=hooks.example.test',
      '-addext',
      'subjectAltName=DNS:hooks.example.test',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    sni = (req.socket as unknown as { servername?: string }).servername;
    req.resume();
    req.on('end', () => res.end(`host=${req.headers.host}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('postWebhook over TLS', () => {
  it('connects to the checked address with SNI and certificate check on the URL host', async () => {
    const result = await postWebhook({
      destination: {
        url: new URL(`https://hooks.example.test:${port}/hook`),
        address: '127.0.0.1',
        family: 4,
      },
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
      tls: { ca: cert },
    });
    expect(result).toMatchObject({ ok: true, status: 200, responseBody: `host=hooks.example.test:${port}` });
    expect(sni).toBe('hooks.example.test');
  });

  it('a certificate that does not match the host is an error, not a success', async () => {
    const result = await postWebhook({
      destination: {
        url: new URL(`https://other.example.test:${port}/hook`),
        address: '127.0.0.1',
        family: 4,
      },
      headers: {},
      body: '{}',
      tls: { ca: cert },
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^Error: .*(altnames|certificate|Hostname)/i);
  });

  it('an untrusted certificate is refused', async () => {
    const result = await postWebhook({
      destination: {
        url: new URL(`https://hooks.example.test:${port}/hook`),
        address: '127.0.0.1',
        family: 4,
      },
      headers: {},
      body: '{}',
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^Error: /);
  });
});
