import { describe, expect, it } from 'vitest';
import { countNonBlankRecords } from './counter.ts';
import { CsvFileError, isBlankRecord, readCsvRecords } from './reader.ts';

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

async function count(text: string, chunkSize = 5, stopAfter?: number): Promise<number> {
  const result = await countNonBlankRecords(chunks(Buffer.from(text, 'utf8'), chunkSize), {
    ...(stopAfter !== undefined && { stopAfter }),
  });
  return result.nonBlankRecords;
}

/** What pass 2 sees: non-blank records of the full parser, or null when it refuses the file. */
async function parserCount(text: string): Promise<number | null> {
  let n = 0;
  try {
    for await (const record of readCsvRecords(chunks(Buffer.from(text, 'utf8'), 5))) {
      if (!isBlankRecord(record.cells)) n++;
    }
  } catch (error) {
    if (error instanceof CsvFileError) return null;
    throw error;
  }
  return n;
}

describe('pass-1 record counter', () => {
  it('counts non-blank records across CRLF, quoted newlines and blank lines', async () => {
    const text = 'payer,cpt\r\n\r\nAetna,"99\n213"\r\n"Cigna ""X""",99214\n  \n,,\n"",""\nMedicare,1';
    expect(await count(text)).toBe(4);
    expect(await parserCount(text)).toBe(4);
  });

  it('treats trimmed whitespace and control characters as blank, an escaped quote as content', async () => {
    expect(await count('a\n\u00a0 \t\n\u0007,\u3000\n')).toBe(1);
    expect(await count('a\n""""\n')).toBe(2);
    expect(await count('a\n" , "\n')).toBe(2); // the quoted comma is content
    expect(await count('a\n" \t",\n')).toBe(1);
  });

  it('stops once the count passes the limit', async () => {
    const text = 'h\n1\n2\n3\n4\n5\n';
    expect(await count(text, 3, 2)).toBe(3);
    expect(await count(text)).toBe(6);
  });

  it('fails on invalid UTF-8 like the reader', async () => {
    await expect(
      countNonBlankRecords(chunks(Uint8Array.from([0x61, 0x0a, 0xff, 0x0a]), 2)),
    ).rejects.toBeInstanceOf(CsvFileError);
  });

  it('agrees with the full parser on generated files (every file the parser accepts)', async () => {
    // A small alphabet that exercises every state: quotes, commas, CR, LF, blanks, content.
    const alphabet = ['"', '""', ',', '\n', '\r\n', ' ', '\u00a0', '\u0001', 'a', 'é', '\r'];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    let compared = 0;
    for (let file = 0; file < 2000; file++) {
      let text = '';
      const length = 1 + random(40);
      for (let i = 0; i < length; i++) text += alphabet[random(alphabet.length)];
      const expected = await parserCount(text);
      if (expected === null) continue;
      compared++;
      expect({ text, n: await count(text, 1 + random(9)) }).toEqual({ text, n: expected });
    }
    expect(compared).toBeGreaterThan(300);
  });
});
