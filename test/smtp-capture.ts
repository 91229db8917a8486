import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it: envelope and raw MIME text. */
export interface CapturedMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on loopback that keeps what it receives, so mail tests go through
 * nodemailer's SMTP transport exactly as production does (EMAIL_BACKEND=smtp).
 */
export interface SmtpCapture {
  port: number;
  /** Messages received so far, oldest first (tests may empty it with `length = 0`). */
  received: CapturedMail[];
  /** While set, the server refuses message data with this reply (e.g. 550). */
  refuse: { code: number; message: string } | null;
  /** The EMAIL_BACKEND / SMTP_* variables that point a test's configuration here. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const received: CapturedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        raw += chunk;
      });
      stream.on('end', () => {
        if (capture.refuse) {
          callback(Object.assign(new Error(capture.refuse.message), { responseCode: capture.refuse.code }));
          return;
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const capture: SmtpCapture = {
    port,
    received,
    refuse: null,
    env: { EMAIL_BACKEND: 'smtp', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_SECURITY: 'none' },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return capture;
}
