import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CheckedDestination } from './destination-guard.ts';

/**
 * One webhook POST (alerts-reports §9 "Request"/"Outcome") over node:http/https, connected to
 * the address the destination guard checked: the socket's `lookup` answers with that address,
 * while the URL's host stays in the Host header and in TLS SNI/certificate checks. Redirects
 * are never followed (3xx is a plain failure). One deadline covers connect, upload and the
 * response body, and the body is read only up to a small cap, so a slow or endless response
 * cannot hold the worker.
 */

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Response body characters stored on a delivery. */
export const STORED_RESPONSE_CHARS = 1_000;
/** Response body characters quoted in `last_error`. */
export const ERROR_RESPONSE_CHARS = 200;
/** Bytes read from a response at most (UTF-8: ≥ STORED_RESPONSE_CHARS characters). */
const MAX_READ_BYTES = STORED_RESPONSE_CHARS * 4;

export interface WebhookPostResult {
  /** 2xx */
  ok: boolean;
  /** HTTP status when a response arrived, else null. */
  status: number | null;
  /** First 1,000 characters of the response body ('' when none). */
  responseBody: string;
  /** Failure reason in the wording of §9, null on success. */
  error: string | null;
  durationMs: number;
}

export interface WebhookPostInput {
  destination: CheckedDestination;
  headers: Record<string, string>;
  body: string;
  timeoutMs?: number;
  /** Extra TLS options (tests trust a self-signed receiver certificate). */
  tls?: Pick<https.RequestOptions, 'ca' | 'rejectUnauthorized'>;
}

/** "HTTP 500: Internal Server Error" — the code and the first 200 characters of the body. */
export function httpFailureMessage(status: number, responseBody: string): string {
  const quoted = responseBody.slice(0, ERROR_RESPONSE_CHARS).trim();
  return quoted ? `HTTP ${status}: ${quoted}` : `HTTP ${status}`;
}

export function postWebhook(input: WebhookPostInput): Promise<WebhookPostResult> {
  const { destination, body } = input;
  const { url } = destination;
  const timeoutMs = input.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const started = performance.now();
  const elapsed = () => Math.max(0, Math.round(performance.now() - started));

  // The guard's address, whatever the host name resolves to now.
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
        { address: destination.address, family: destination.family },
      ]);
    } else {
      callback(null, destination.address, destination.family);
    }
  };

  return new Promise<WebhookPostResult>((resolve) => {
    let settled = false;
    // Set once the status line arrived: the deadline then ends the body read, not the outcome.
    let endBodyRead: (() => void) | null = null;
    const finish = (result: Omit<WebhookPostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const isHttps = url.protocol === 'https:';
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const options: https.RequestOptions = {
      method: 'POST',
      protocol: url.protocol,
      hostname,
      port: url.port || (isHttps ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: { ...input.headers, 'Content-Length': String(Buffer.byteLength(body, 'utf8')) },
      lookup: pinnedLookup,
      agent: false,
      ...(isHttps && isIP(hostname) === 0 ? { servername: hostname } : {}),
      ...(isHttps ? input.tls : {}),
    };
    const request = (isHttps ? https : http).request(options, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let bytes = 0;
      const done = () => {
        const text = Buffer.concat(chunks).toString('utf8').slice(0, STORED_RESPONSE_CHARS);
        const ok = status >= 200 && status < 300;
        finish({ ok, status, responseBody: text, error: ok ? null : httpFailureMessage(status, text) });
        // Whatever is left of the body is not wanted: free the socket now.
        response.destroy();
        request.destroy();
      };
      endBodyRead = done;
      response.on('data', (chunk: Buffer) => {
        if (bytes >= MAX_READ_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_READ_BYTES - bytes));
        bytes += Math.min(chunk.length, MAX_READ_BYTES - bytes);
        if (bytes >= MAX_READ_BYTES) done();
      });
      response.on('end', done);
      response.on('error', done);
      response.on('aborted', done);
    });
    const timer = setTimeout(() => {
      if (endBodyRead) return endBodyRead();
      finish({ ok: false, status: null, responseBody: '', error: 'Request timed out' });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: Error) => {
      finish({ ok: false, status: null, responseBody: '', error: `Error: ${error.message}`.slice(0, 500) });
    });
    request.end(body);
  });
}
