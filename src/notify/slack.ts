/**
 * Slack incoming-webhook transport (alerts-reports §8): one JSON POST, 10 s timeout, redirects
 * not followed. 2xx = success; anything else (status, timeout, network) is a failure the caller
 * may retry. The URL is a secret: it never appears in the outcome, logs or errors.
 */

export interface SlackPostOutcome {
  ok: boolean;
  /** HTTP status when a response arrived. */
  status: number | null;
  /** Failure reason for the delivery log (≤ 500 chars), null on success. */
  error: string | null;
}

export interface SlackPostOptions {
  timeoutMs?: number;
  /** Injectable for tests. */
  fetch?: typeof fetch;
}

/** The host a Slack URL points at ("hooks.slack.com"), for target summaries. */
export function slackTargetSummary(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}

/** True for an `https://hooks.slack.com/...` incoming-webhook URL (§5 channel config). */
export function isSlackWebhookUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com' && parsed.pathname.length > 1
    );
  } catch {
    return false;
  }
}

export async function postSlackMessage(
  url: string,
  payload: unknown,
  options: SlackPostOptions = {},
): Promise<SlackPostOutcome> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    const response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Payrixa/1.0' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => {});
      return { ok: true, status: response.status, error: null };
    }
    const text = (await response.text().catch(() => '')).slice(0, 200);
    return {
      ok: false,
      status: response.status,
      error: `HTTP ${response.status}: ${text}`.trim().slice(0, 500),
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError')
      return { ok: false, status: null, error: 'Request timed out' };
    // Undici wraps the cause; never echo the URL (it is the secret).
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
    const message = cause || (error instanceof Error ? error.message : String(error));
    return {
      ok: false,
      status: null,
      error: `Error: ${message.split(url).join('[slack webhook]')}`.slice(0, 500),
    };
  }
}
