import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { PASSWORD } from './accounts.ts';

/** JWT-authenticated API calls over `app.inject`, one access token per username (cached). */
export class ApiClient {
  private readonly bearers = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}

  async bearer(username: string): Promise<string> {
    let token = this.bearers.get(username);
    if (!token) {
      const response = await this.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        payload: { username, password: PASSWORD },
      });
      token = (response.json() as { access: string }).access;
      if (!token) throw new Error(`no token for ${username}: ${response.body}`);
      this.bearers.set(username, token);
    }
    return token;
  }

  async call(
    username: string | null,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const auth = username ? { authorization: `Bearer ${await this.bearer(username)}` } : {};
    return this.app.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  }
}
