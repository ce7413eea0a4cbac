/**
 * The responses every adapter sends, built once here as plain status, headers and body, so that
 * each adapter only writes them in its framework's idiom.
 *
 * @module
 */

import type { Rejection } from '../core/admit.js';
import type { Backpressure } from '../core/receiver.js';
import type { RequestBodyError } from './body.js';

/** A response as plain data, ready for any framework to send. */
export interface PlainResponse {
  readonly status: number;
  /** Lower-case header names; `content-length` is present on responses built ahead of time. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An RFC 9457 problem document. Carries nothing about the receiver's internals. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

/** Lets users reshape a rejection; `Retry-After` is always sent as computed. */
export type RejectResponseHook = (
  rejection: Rejection,
  problem: ProblemDetails,
) => { status?: number; headers?: Record<string, string>; body?: string | object } | undefined;

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The default problem document of a rejection. */
export function rejectionProblem(rejection: Rejection): ProblemDetails {
  const detail =
    rejection.reason === 'closing'
      ? `The receiver is shutting down. Retry after ${rejection.retryAfterSeconds} seconds.`
      : `The receiver is at capacity. Retry after ${rejection.retryAfterSeconds} seconds.`;
  return {
    type: 'about:blank',
    title: titles[rejection.status] ?? 'Request Rejected',
    status: rejection.status,
    detail,
  };
}

/**
 * The response to a rejected request. `closeConnection` asks the client not to reuse the
 * connection: set it when an unread body may still be on the way, so that its bytes are never
 * mistaken for the next request.
 */
export function rejectionResponse(
  rejection: Rejection,
  closeConnection: boolean,
  hook?: RejectResponseHook,
): PlainResponse {
  const close = closeConnection || rejection.reason === 'closing';
  if (hook !== undefined) return buildRejection(rejection, close, hook);

  // Without a hook, a rejection depends only on these four values: under a flood the same few
  // responses are sent thousands of times, so each is built, serialised and measured once.
  const key = `${rejection.status} ${rejection.retryAfterSeconds} ${String(close)} ${String(
    rejection.reason === 'closing',
  )}`;
  let response = rejectionCache.get(key);
  if (response === undefined) {
    const built = buildRejection(rejection, close, undefined);
    response = { ...built, headers: withLength(built.headers, built.body) };
    // Retry-After is clamped to a small range in practice; the bound only guards odd settings.
    if (rejectionCache.size >= 1024) rejectionCache.clear();
    rejectionCache.set(key, response);
  }

  return response;
}

const rejectionCache = new Map<string, PlainResponse>();

function buildRejection(
  rejection: Rejection,
  close: boolean,
  hook: RejectResponseHook | undefined,
): PlainResponse {
  const problem = rejectionProblem(rejection);
  const shaped = hook?.(rejection, problem);
  const body = shaped?.body ?? problem;
  const headers: Record<string, string> = {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : problemType,
    'cache-control': 'no-store',
    ...lowerCaseKeys(shaped?.headers),
    // RFC 9110 §10.2.3: delay-seconds, a non-negative integer. Never overridden by the hook.
    'retry-after': String(rejection.retryAfterSeconds),
  };
  if (close) headers.connection = 'close';

  return {
    status: shaped?.status ?? rejection.status,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

const encoder = new TextEncoder();

/** `headers` with the body's length in bytes, for responses built once and sent many times. */
function withLength(
  headers: Readonly<Record<string, string>>,
  body: string,
): Record<string, string> {
  return { ...headers, 'content-length': String(encoder.encode(body).byteLength) };
}

/**
 * The response to a body that could not be accepted: 400, 413 or 415. `closeConnection` is for
 * a refusal sent while a large body is still unread.
 */
export function bodyErrorResponse(error: RequestBodyError, closeConnection = false): PlainResponse {
  const problem: ProblemDetails = {
    type: 'about:blank',
    title: titles[error.status] ?? 'Bad Request',
    status: error.status,
    detail: error.message,
  };
  const headers: Record<string, string> = { 'content-type': problemType };
  // After a 413 the rest of the body is still on the wire: the connection cannot be reused.
  if (error.status === 413 || closeConnection) headers.connection = 'close';
  return { status: error.status, headers, body: JSON.stringify(problem) };
}

/** The response of a receiver route once the event is queued. */
export const acceptedResponse: PlainResponse = Object.freeze({
  status: 202,
  headers: Object.freeze(withLength({ 'content-type': 'application/json' }, '{"accepted":true}')),
  body: '{"accepted":true}',
});

/**
 * The status route: the receiver's snapshot as JSON. With `readiness`, it answers 503 once
 * shutdown has begun, so that a load balancer stops routing here; shedding alone keeps it 200,
 * because a process that sheds load is still healthy.
 */
export function statusResponse<T>(receiver: Backpressure<T>, readiness: boolean): PlainResponse {
  const snapshot = receiver.snapshot();
  return {
    status: readiness && snapshot.closing ? 503 : 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(snapshot),
  };
}

const problemType = 'application/problem+json';

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const lowered: Record<string, string> = {};
  if (headers === undefined) return lowered;

  for (const [name, value] of Object.entries(headers)) lowered[name.toLowerCase()] = value;
  return lowered;
}
