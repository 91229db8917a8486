import type { Config } from '../config/env.ts';
import { fieldEncryptionKeys } from '../config/field-key.ts';
import { decryptClaimId, encryptClaimId } from '../domain/claims/claim-id.ts';

/**
 * Notification secrets at rest (alerts-reports §5, §9): Slack incoming-webhook URLs and webhook
 * signing secrets are sealed with AES-256-GCM under FIELD_ENCRYPTION_KEY — the same envelope
 * (`nonce ‖ ciphertext ‖ tag`) as claim numbers — and opened with the current key or a rotation
 * fallback. Only `secretLast4` ever leaves the server after creation.
 */
export function sealSecret(config: Config, secret: string): Buffer {
  return encryptClaimId(fieldEncryptionKeys(config).current, secret);
}

/** Opens a sealed secret; throws when no configured key authenticates it. */
export function openSecret(config: Config, sealed: Uint8Array): string {
  const { current, fallbacks } = fieldEncryptionKeys(config);
  return decryptClaimId([current, ...fallbacks], sealed);
}

/** The last 4 characters shown in place of a secret ("…a1b2"). */
export function secretLast4(secret: string): string {
  return Array.from(secret).slice(-4).join('');
}
