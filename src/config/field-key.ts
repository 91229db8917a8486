import { createHash } from 'node:crypto';
import type { Config } from './env.ts';

/**
 * The 32-byte FIELD_ENCRYPTION_KEY (claim numbers, ingestion spec §1.2) and its rotation
 * fallbacks, decoded from base64. Outside production an unset key is derived from
 * SECRET_KEY so development and tests work without setup (production checks refuse an
 * unset key).
 */
export function fieldEncryptionKeys(config: Config): { current: Buffer; fallbacks: Buffer[] } {
  const decode = (text: string): Buffer => {
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32) throw new Error('FIELD_ENCRYPTION_KEY must be 32 bytes encoded as base64');
    return key;
  };
  const current = config.fieldEncryptionKey
    ? decode(config.fieldEncryptionKey)
    : createHash('sha256').update(`payrixa:field-key:dev:${config.secretKey}`).digest();
  return { current, fallbacks: config.fieldEncryptionKeyFallbacks.map(decode) };
}
