import type { StoredSession } from '../cache/session-store.ts';
import type { JsonObject, JsonValue } from '../db/schema.ts';
import {
  createCsrfToken,
  generateCsrfSecret,
  generateSessionId,
  hashSessionId,
} from '../domain/accounts/tokens.ts';

export type FlashLevel = 'success' | 'error' | 'warning' | 'info';

export interface FlashMessage {
  level: FlashLevel;
  message: string;
}

/** What a portal session keeps (web-api-ops §3.1). Stored as JSON. */
export interface SessionData {
  /** CSRF secret; regenerated whenever the session id rotates. */
  csrf: string;
  /** Epoch ms of the login that created this session. */
  authAt?: number;
  /** Staff only: the customer they act on. */
  acting?: number | null;
  flash?: FlashMessage[];
  /** The 5-minute logout context shown once on /portal/logged-out/. */
  logout?: {
    expires: number;
    wasOperator: boolean;
    username: string;
    customer: string | null;
    role: string | null;
  };
}

export const SESSION_COOKIE = 'payrixa_session';
export const CSRF_COOKIE = 'payrixa_csrf';
const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** True for values that could be a session id we issued (anything else is ignored unhashed). */
export function isSessionIdShape(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_SHAPE.test(value);
}

/**
 * One request's view of its server-side session. Changes are collected and written once
 * by the auth plugin when the response is sent.
 */
export class PortalSession {
  /** Set when this session replaced another (login, password change, operator switch). */
  replacedHash: string | null = null;
  dirty = false;
  destroyed = false;

  constructor(
    public id: string,
    public hash: string,
    public record: StoredSession,
    public isNew: boolean,
  ) {}

  static create(now: number, userId: number | null = null): PortalSession {
    const { id, hash } = generateSessionId();
    const data: SessionData = { csrf: generateCsrfSecret() };
    const session = new PortalSession(
      id,
      hash,
      { userId, data: data as unknown as JsonObject, createdAt: now, lastActivityAt: now, expiresAt: now },
      true,
    );
    session.dirty = true;
    return session;
  }

  static fromStore(id: string, record: StoredSession): PortalSession {
    return new PortalSession(id, hashSessionId(id), record, false);
  }

  get data(): SessionData {
    return this.record.data as unknown as SessionData;
  }

  get userId(): number | null {
    return this.record.userId;
  }

  set<K extends keyof SessionData>(key: K, value: SessionData[K]): void {
    const data = this.record.data as Record<string, JsonValue | undefined>;
    if (value === undefined) delete data[key];
    else data[key] = value as unknown as JsonValue;
    this.dirty = true;
  }

  /**
   * Gives the session a new id and CSRF secret, keeping its data and absolute start
   * (§3.1 rotation: password change, operator switch). The old id is destroyed when the
   * response is written.
   */
  rotate(now: number): void {
    if (!this.isNew) this.replacedHash = this.hash;
    const { id, hash } = generateSessionId();
    this.id = id;
    this.hash = hash;
    this.isNew = true;
    this.record = { ...this.record, lastActivityAt: now };
    this.set('csrf', generateCsrfSecret());
  }

  flash(level: FlashLevel, message: string): void {
    this.set('flash', [...(this.data.flash ?? []), { level, message }]);
  }

  /** Returns the queued flash messages and removes them (shown once). */
  takeFlashes(): FlashMessage[] {
    const messages = this.data.flash ?? [];
    if (messages.length > 0) this.set('flash', undefined);
    return messages;
  }

  csrfToken(secretKey: string): string {
    return createCsrfToken(this.data.csrf, secretKey);
  }
}
