import { pbkdf2 } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeCopyLine } from '../db/copy.ts';
import {
  cleanUploadFilename,
  FileTooLargeError,
  ingestUploadJobKey,
  sniffFormat,
  spool,
} from './upload-claims-file.ts';

describe('upload submission helpers', () => {
  it('cleans client file names: no path parts, no control characters, at most 255 characters', () => {
    expect(cleanUploadFilename('C:\\Users\\billing\\claims.csv')).toBe('claims.csv');
    expect(cleanUploadFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanUploadFilename('  march\u0000\u001f export.csv \r\n')).toBe('march export.csv');
    expect(cleanUploadFilename('folder/')).toBe('');
    expect(Array.from(cleanUploadFilename(`${'é'.repeat(300)}.csv`))).toHaveLength(255);
  });

  it('sniffs X12 only after a BOM and white space, else CSV (§2.2 step 4)', () => {
    expect(sniffFormat(Buffer.from('\xef\xbb\xbf\n ISA*00*          *00*~ST*835*0001~', 'latin1'))).toEqual({
      format: 'x12_835',
      transactionSet: '835',
    });
    expect(sniffFormat(Buffer.from('ST*837*0001~'))).toEqual({ format: 'x12_835', transactionSet: '837' });
    expect(sniffFormat(Buffer.from('ISA*00~GS*HP~'))).toEqual({ format: 'x12_835', transactionSet: null });
    expect(sniffFormat(Buffer.from('ISAAC,99213\n'))).toEqual({ format: 'csv', transactionSet: null });
    expect(sniffFormat(Buffer.from('STATUS,payer\n'))).toEqual({ format: 'csv', transactionSet: null });
    expect(sniffFormat(Buffer.alloc(0))).toEqual({ format: 'csv', transactionSet: null });
  });

  it('names the ingest job of an upload deterministically', () => {
    expect(ingestUploadJobKey(3, 41)).toBe('ingest-upload:3:41');
  });

  it('encodes COPY CSV lines: NULL unquoted, text quoted, bytea hex, JSON', () => {
    expect(encodeCopyLine([1, null, '', 'a,"b"', true, Buffer.from([255]), [{ x: 1 }]])).toBe(
      '1,,"","a,""b""",t,\\xff,"[{""x"":1}]"\n',
    );
  });

  it('leaves no spooled file behind when the body fails, even while the thread pool is busy', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'payrixa-spool-'));
    try {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        // Keep every thread-pool thread busy so the write stream's open() is still queued when
        // the body fails: the spool must wait for the stream to close before removing the file.
        const busy = Array.from(
          { length: 8 },
          () => new Promise<void>((resolve) => pbkdf2('x', 'y', 40_000, 32, 'sha256', () => resolve())),
        );
        async function* truncatedBody(): AsyncGenerator<Uint8Array> {
          yield Buffer.from('payer,cpt\n');
          throw new Error('Unexpected end of form');
        }
        await expect(spool(truncatedBody(), dir, 1024, 1)).rejects.toThrow('Unexpected end of form');
        await expect(spool([Buffer.alloc(2048)], dir, 1024, 1)).rejects.toBeInstanceOf(FileTooLargeError);
        await Promise.all(busy);
        expect(await readdir(dir)).toEqual([]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
