import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';

/** A file attached to an email (e.g. the weekly PDF, alerts-reports §7). */
export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

/** One outgoing email (text and HTML bodies). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  cc?: string;
  /** Extra headers (e.g. X-Payrixa-Alert-Id, X-Request-Id). */
  headers?: Record<string, string>;
  attachments?: MailAttachment[];
}

/**
 * The mail port (EMAIL_BACKEND): SMTP through nodemailer, `log` (development: the email
 * is written to the log), `memory` (tests: kept in `outbox`).
 */
export interface Mailer {
  readonly kind: 'smtp' | 'log' | 'memory';
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
  /** Memory backend only: messages sent so far. */
  readonly outbox: MailMessage[];
}

export function createMailer(config: Config, logger: Logger): Mailer {
  const { email } = config;
  if (email.backend === 'memory') {
    const outbox: MailMessage[] = [];
    return {
      kind: 'memory',
      outbox,
      async send(message) {
        outbox.push(message);
      },
      async close() {},
    };
  }
  if (email.backend === 'log' || !email.smtpHost) {
    return {
      kind: 'log',
      outbox: [],
      async send(message) {
        // The body may carry a reset link: log it only outside production (dev convenience).
        logger.info(
          {
            email: {
              to: message.to,
              subject: message.subject,
              ...(message.attachments?.length && {
                attachments: message.attachments.map((a) => a.filename),
              }),
              ...(config.isProduction ? {} : { body: message.text }),
            },
          },
          'email (log backend)',
        );
      },
      async close() {},
    };
  }
  const transport: Transporter = nodemailer.createTransport({
    host: email.smtpHost,
    port: email.smtpPort,
    secure: email.smtpSecurity === 'tls',
    requireTLS: email.smtpSecurity === 'starttls',
    ignoreTLS: email.smtpSecurity === 'none',
    ...(email.smtpUser ? { auth: { user: email.smtpUser, pass: email.smtpPassword ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    kind: 'smtp',
    outbox: [],
    async send(message) {
      await transport.sendMail({
        from: email.from,
        to: message.to,
        ...(message.cc ? { cc: message.cc } : {}),
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.headers && { headers: message.headers }),
        ...(message.attachments && {
          attachments: message.attachments.map((a) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
          })),
        }),
      });
    },
    async close() {
      transport.close();
    },
  };
}
