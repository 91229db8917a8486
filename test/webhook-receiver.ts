import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../src/notify/webhooks/signature.ts';

/**
 * A webhook receiver on loopback for tests, written the way docs/ALERTS.md tells customers:
 * it keeps the raw bytes, verifies `Payrixa-Signature` over them before parsing, and records
 * what arrived. `respond` decides the answer per request.
 */

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  envelope: {
    id: string;
    type: string;
    created_at: string;
    customer_id: number;
    data: Record<string, unknown>;
    metadata: { request_id: string | null };
  };
  /** Verified with the receiver's current secret at the receiver's clock. */
  signatureValid: boolean;
}

export interface WebhookReceiver {
  url(path?: string): string;
  received: ReceivedWebhook[];
  /** The secret signatures are checked against (set after creating the endpoint). */
  secret: string;
  /** The receiver's "now" in Unix seconds (tests use a fixed clock). */
  nowSeconds: () => number;
  respond: (req: ReceivedWebhook, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(nowSeconds: () => number): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: () => '',
    received: [],
    secret: '',
    nowSeconds,
    respond: (_req, res) => res.end('ok'),
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const header = String(req.headers['payrixa-signature'] ?? '');
      const signatureValid = verifySignature({
        header,
        rawBody,
        secret: receiver.secret,
        nowSeconds: receiver.nowSeconds(),
      });
      const hook: ReceivedWebhook = {
        path: req.url ?? '/',
        headers: req.headers,
        rawBody,
        envelope: JSON.parse(rawBody.toString('utf8')),
        signatureValid,
      };
      receiver.received.push(hook);
      receiver.respond(hook, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = (path = '/hook') => `http://127.0.0.1:${port}${path}`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return receiver;
}
