import { randomBytes } from 'node:crypto';

/** A multipart/form-data body for `app.inject` (fields and files, in the given order). */
export type MultipartPart =
  | { name: string; value: string }
  | { name: string; filename: string; content: string | Uint8Array; contentType?: string };

export function multipartBody(parts: readonly MultipartPart[]): { payload: Buffer; contentType: string } {
  const boundary = `----payrixa${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('filename' in part) {
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
            `Content-Type: ${part.contentType ?? 'text/csv'}\r\n\r\n`,
        ),
      );
      chunks.push(
        typeof part.content === 'string' ? Buffer.from(part.content, 'utf8') : Buffer.from(part.content),
      );
    } else {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}`));
    }
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Ingestion spec §8 A1: 10 rows, 5 accepted, 5 rejected (2 PHI, 2 missing, 1 invalid date). */
export const A1_MIXED_CSV = [
  'payer,cpt,submitted_date,decided_date,outcome,allowed_amount',
  'Blue Cross Blue Shield,99213,2024-01-15,2024-02-01,PAID,150.00',
  'Medicare,99214,2024-01-16,2024-02-02,PAID,200.00',
  'John Smith,99215,2024-01-17,2024-02-03,DENIED,0.00',
  'Aetna,99213,2024-01-18,2024-02-04,PAID,150.00',
  'Mary Johnson,99214,2024-01-19,2024-02-05,DENIED,0.00',
  'UnitedHealthcare,99213,,2024-02-06,PAID,150.00',
  'Cigna,99214,2024-01-21,invalid-date,PAID,200.00',
  'Anthem,99213,2024-01-22,2024-02-08,APPROVED,145.00',
  'Humana,,2024-01-23,2024-02-09,PAID,180.00',
  'TriCare,99215,2024-01-24,2024-02-10,PAID,250.00',
  '',
].join('\n');
