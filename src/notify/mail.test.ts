import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.ts';
import { silentLogger } from '../obs/logger.ts';
import {
  clearMailbox,
  createMailer,
  listMailbox,
  type MailMessage,
  mailboxDir,
  mailDestination,
  readMailboxMessage,
  writeMailboxMessage,
} from './mail.ts';

function freshDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'payrixa-mailbox-'));
}

function message(subject: string, extra: Partial<MailMessage> = {}): MailMessage {
  return {
    to: 'owner@clinic.example',
    subject,
    text: `${subject} text`,
    html: `<p>${subject}</p>`,
    ...extra,
  };
}

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 16, minute, 0, 0));

describe('mailbox backend', () => {
  it('is the default outside production without SMTP_HOST and writes one JSON file per email', async () => {
    const dataDir = freshDir();
    const config = loadConfig({
      PAYRIXA_ENV: 'development',
      DATA_DIR: dataDir,
      EMAIL_FROM: 'Payrixa <a@p.example>',
    });
    expect(config.email.backend).toBe('mailbox');
    const mailer = createMailer(config, silentLogger(), { now: () => at(5) });
    expect(mailer.kind).toBe('mailbox');
    await mailer.send(
      message('Critical alert', {
        cc: 'admin@clinic.example',
        headers: { 'X-Payrixa-Alert-Id': '7' },
        attachments: [
          {
            filename: 'weekly.pdf',
            content: Buffer.from('%PDF-secret-bytes'),
            contentType: 'application/pdf',
          },
        ],
      }),
    );
    const dir = mailboxDir(config);
    expect(dir).toBe(path.join(dataDir, 'mailbox'));
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^20261207T160500000Z-[0-9a-f]{8}\.json$/);
    const stored = JSON.parse(readFileSync(path.join(dir, files[0] as string), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(stored).toEqual({
      id: (files[0] as string).replace(/\.json$/, ''),
      sentAt: '2026-12-07T16:05:00.000Z',
      from: 'Payrixa <a@p.example>',
      to: 'owner@clinic.example',
      cc: 'admin@clinic.example',
      subject: 'Critical alert',
      headers: { 'X-Payrixa-Alert-Id': '7' },
      text: 'Critical alert text',
      html: '<p>Critical alert</p>',
      // Attachments by name, type and size only: their content never reaches the mailbox.
      attachments: [{ filename: 'weekly.pdf', contentType: 'application/pdf', size: 17 }],
    });
    expect(readFileSync(path.join(dir, files[0] as string), 'utf8')).not.toContain('secret-bytes');
    expect(mailDestination(config)).toBe(`kept in the local mailbox ${dir} (list it with 'payrixa mail')`);
  });

  it('clearMailbox deletes the messages only (demo --reset); a missing mailbox is empty', async () => {
    const dir = path.join(freshDir(), 'mailbox');
    expect(await clearMailbox(dir)).toBe(0);
    await writeMailboxMessage(dir, message('a'), { from: 'f', now: at(1) });
    await writeMailboxMessage(dir, message('b'), { from: 'f', now: at(2) });
    writeFileSync(path.join(dir, 'README.txt'), 'not a message');
    expect(await clearMailbox(dir)).toBe(2);
    expect(await listMailbox(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['README.txt']);
  });

  it('lists newest first, reads one by id and keeps only the newest `limit` messages', async () => {
    const dir = path.join(freshDir(), 'mailbox');
    expect(await listMailbox(dir)).toEqual([]);
    const ids: string[] = [];
    for (let minute = 0; minute < 5; minute += 1) {
      ids.push(
        (await writeMailboxMessage(dir, message(`m${minute}`), { from: 'f', now: at(minute), limit: 3 })).id,
      );
    }
    const listed = await listMailbox(dir);
    expect(listed.map((m) => m.subject)).toEqual(['m4', 'm3', 'm2']);
    expect(listed[0]).toEqual({
      id: ids[4],
      sentAt: at(4).toISOString(),
      to: 'owner@clinic.example',
      subject: 'm4',
    });
    expect(readdirSync(dir)).toHaveLength(3);
    expect(await readMailboxMessage(dir, ids[0] as string)).toBeNull();
    expect((await readMailboxMessage(dir, ids[3] as string))?.text).toBe('m3 text');
    expect((await listMailbox(dir, 2)).map((m) => m.subject)).toEqual(['m4', 'm3']);
    // An id is a file name in the mailbox and nothing else (no path traversal).
    expect(await readMailboxMessage(dir, '../secrets')).toBeNull();
  });

  it('keeps production, explicit log and memory as they were', () => {
    const production = loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(60) });
    expect(production.email.backend).toBe('log');
    expect(createMailer(production, silentLogger()).kind).toBe('log');
    expect(createMailer(loadConfig({ EMAIL_BACKEND: 'log' }), silentLogger()).kind).toBe('log');
    expect(createMailer(loadConfig({ EMAIL_BACKEND: 'memory' }), silentLogger()).kind).toBe('memory');
  });
});
