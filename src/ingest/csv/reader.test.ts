import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { readCsvHead } from './columns.ts';
import { CsvFileError, type CsvRecord, decodeUtf8, readCsvRecords } from './reader.ts';

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

async function readAll(input: string | Uint8Array, chunkSize = 7): Promise<CsvRecord[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: CsvRecord[] = [];
  for await (const record of readCsvRecords(chunks(bytes, chunkSize))) out.push(record);
  return out;
}

async function fileError(input: Uint8Array | string, chunkSize = 5): Promise<string> {
  try {
    await readAll(input, chunkSize);
  } catch (error) {
    if (error instanceof CsvFileError) return error.fileError.message;
    throw error;
  }
  throw new Error('no error');
}

describe('CSV reader', () => {
  it('yields records with the physical line of their first line (CRLF, quoted newlines, blank lines)', async () => {
    const records = await readAll(
      'payer,cpt\r\n\r\nAetna,"99\n213"\r\n"Cigna ""X""",99214\n  \nMedicare,1\n',
    );
    expect(records).toEqual([
      { cells: ['payer', 'cpt'], line: 1 },
      { cells: [''], line: 2 },
      { cells: ['Aetna', '99\n213'], line: 3 },
      { cells: ['Cigna "X"', '99214'], line: 5 },
      { cells: ['  '], line: 6 },
      { cells: ['Medicare', '1'], line: 7 },
    ]);
  });

  it('drops a leading BOM, also when it arrives split over chunks', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('payer,cpt\nA,1\n')]);
    for (const size of [1, 2, 3, 64]) {
      const records = await readAll(bytes, size);
      expect(records[0]?.cells).toEqual(['payer', 'cpt']);
    }
  });

  it('decodes multi-byte characters split across chunk boundaries', async () => {
    const text = 'payer\nSociété Générale — 保険 🏥\n';
    for (const size of [1, 2, 3, 5]) {
      const records = await readAll(text, size);
      expect(records[1]?.cells).toEqual(['Société Générale — 保険 🏥']);
    }
  });

  it('reports invalid UTF-8 with the file offset of the first bad byte', async () => {
    const bytes = Buffer.concat([Buffer.from('payer,cpt\nCaf'), Buffer.from([0xe9]), Buffer.from(',1\n')]);
    for (const size of [1, 4, 100]) {
      expect(await fileError(bytes, size)).toBe(
        'File is not valid UTF-8 (invalid byte at offset 13). Save it as “CSV UTF-8” and upload again.',
      );
    }
    const truncated = Buffer.concat([Buffer.from('ab'), Buffer.from([0xe2, 0x82])]);
    expect(await fileError(truncated, 1)).toContain('invalid byte at offset 2');
  });

  it('numbers records by the line an editor shows: CRLF, LF and a lone CR inside quotes', async () => {
    const lines = async (text: string) => (await readAll(text, 3)).map((record) => record.line);
    expect(await lines('h\r\n"a\r\nb",1\r\nc,2\r\n')).toEqual([1, 2, 4]);
    expect(await lines('h\n"a\nb\nc",1\n\nd,2\n')).toEqual([1, 2, 5, 6]);
    expect(await lines('h\n"a\rb",1\nc,2')).toEqual([1, 2, 4]);
  });

  it('numbers records like csv-parse wherever it counts lines right (generated LF files)', async () => {
    // csv-parse's info.lines counts a CRLF inside quotes as two lines; without CR the two agree.
    const alphabet = ['"', '""', ',', '\n', ' ', 'a', 'é', '"x\ny"', '"\n\n"'];
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    let compared = 0;
    for (let file = 0; file < 1500; file++) {
      let text = '';
      const length = 1 + random(30);
      for (let i = 0; i < length; i++) text += alphabet[random(alphabet.length)];
      let expected: number[];
      try {
        const records = parse(text, {
          delimiter: ',',
          record_delimiter: ['\r\n', '\n'],
          relax_column_count: true,
          skip_empty_lines: false,
          info: true,
        }) as unknown as Array<{ info: { lines: number } }>;
        let last = 0;
        expected = records.map((record) => {
          const first = last + 1;
          last = record.info.lines;
          return first;
        });
      } catch {
        continue; // broken quoting: covered by the malformed tests
      }
      compared++;
      const lines = (await readAll(text, 1 + random(6))).map((record) => record.line);
      expect({ text, lines }).toEqual({ text, lines: expected });
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('reports broken quoting as malformed CSV with its line', async () => {
    expect(await fileError('payer,cpt\nAetna,"99213\nCigna,1\n')).toMatch(
      /^Malformed CSV at line 3: Quote Not Closed/,
    );
    expect(await fileError('payer,cpt\n"Aetna"x,1\n')).toMatch(
      /^Malformed CSV at line 2: Invalid Closing Quote/,
    );
  });

  it('reports a quote inside an unquoted cell as malformed without echoing the cell', async () => {
    const message = await fileError('payer,cpt\nJohn Smith"x,1\n');
    expect(message).toMatch(/^Malformed CSV at line 2: Invalid Opening Quote/);
    expect(message).not.toContain('John');
  });

  it('pulls lazily: stopping after the header reads only the first chunks (bounded memory)', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('payer,cpt,submitted_date,decided_date,outcome\n');
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield Buffer.from('Aetna,99213,2024-01-15,2024-01-20,PAID\n'.repeat(100));
      }
    }
    const head = await readCsvHead(endless(), 2);
    expect(head.headers).toEqual(['payer', 'cpt', 'submitted_date', 'decided_date', 'outcome']);
    expect(head.rows).toHaveLength(2);
    expect(pulled).toBeLessThan(100);
  });

  it('decodeUtf8 yields nothing for an empty stream', async () => {
    const out: string[] = [];
    for await (const text of decodeUtf8(chunks(new Uint8Array(0), 1))) out.push(text);
    expect(out).toEqual([]);
  });
});
