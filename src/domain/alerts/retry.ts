/**
 * Retry schedule shared by alert deliveries and webhook deliveries (alerts-reports §5): after
 * failed attempt `n` (1-based), if `n < maxAttempts` the next attempt is due `2^n` minutes after
 * that attempt; after the last attempt the record is failed. With 5 attempts they happen at
 * +0, +2, +6, +14 and +30 minutes.
 */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** When attempt `attemptNo + 1` is due, or null when `attemptNo` was the last one. */
export function nextAttemptAfterFailure(
  attemptNo: number,
  lastAttemptAt: Date,
  maxAttempts: number = MAX_DELIVERY_ATTEMPTS,
): Date | null {
  if (!Number.isInteger(attemptNo) || attemptNo < 1)
    throw new RangeError('attemptNo must be a positive integer');
  if (attemptNo >= maxAttempts) return null;
  return new Date(lastAttemptAt.getTime() + 2 ** attemptNo * 60_000);
}
