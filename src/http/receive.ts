/**
 * The receiver route's work once a request is admitted, the same on every runtime: read and parse
 * the body, turn it into an event, queue it, and choose the response. Each runtime supplies only
 * how to read its body and what its request head says about the bytes still unread.
 *
 * @module
 */

import type { Rejection } from '../core/admit.js';
import { ClosedError } from '../core/errors.js';
import type { Backpressure, Slot } from '../core/receiver.js';
import { invalidEvent, RequestBodyError } from './body.js';
import {
  mustCloseConnection,
  type ResolvedGuardOptions,
  type ResolvedReceiveOptions,
} from './options.js';
import {
  acceptedResponse,
  bodyErrorResponse,
  rejectionResponse,
  type PlainResponse,
} from './responses.js';

/** What a request's head says about its body, read the runtime's way. */
export interface BodyHead {
  readonly contentLength: string | null | undefined;
  readonly transferEncoding: string | null | undefined;
  /** True while some of the body may still be unread. */
  readonly bodyUnread: boolean;
}

/**
 * The rejection response for a request: it closes the connection when the unread body is too
 * large to drain (or of unknown size), so that its bytes never meet the next request.
 */
export function rejectionFor(
  head: BodyHead,
  rejection: Rejection,
  options: ResolvedGuardOptions,
): PlainResponse {
  const close = mustCloseConnection(
    head.contentLength,
    head.transferEncoding,
    options.drainLimitBytes,
  );
  return rejectionResponse(rejection, close, options.rejectResponse);
}

/**
 * True when some of the body is still unread and too large (or of unknown size) to drain: a
 * refusal sent now must close the connection, or those bytes would meet the next request.
 */
export function unreadBodyIsLarge(head: BodyHead, options: ResolvedGuardOptions): boolean {
  return (
    head.bodyUnread &&
    mustCloseConnection(head.contentLength, head.transferEncoding, options.drainLimitBytes)
  );
}

/**
 * Reads the body with `readBody` (parsed JSON, or a promise of it), queues the event `toEvent`
 * makes of it, and returns the response: 202, or 400, 413 or 415 for a body that cannot be
 * taken (its slot is given back), or the closing rejection when `close()` gave up while the body
 * was uploading.
 * Anything unexpected is rethrown, for the framework's error handling.
 */
export async function receiveEvent<T>(
  receiver: Backpressure<T>,
  slot: Slot<T>,
  head: BodyHead,
  options: ResolvedReceiveOptions<T>,
  readBody: () => unknown,
): Promise<PlainResponse> {
  try {
    const body = await readBody();
    await slot.enqueue(toEvent(body, options));
    return acceptedResponse;
  } catch (error) {
    slot.release();
    return failureResponse(receiver, head, error, options);
  }
}

function toEvent<T>(body: unknown, options: ResolvedReceiveOptions<T>): T {
  try {
    return options.toEvent(body);
  } catch (error) {
    throw invalidEvent(error);
  }
}

function failureResponse<T>(
  receiver: Backpressure<T>,
  head: BodyHead,
  error: unknown,
  options: ResolvedReceiveOptions<T>,
): PlainResponse {
  if (error instanceof RequestBodyError) {
    // A 415 is decided before the body is read: a large unread body would poison the connection.
    return bodyErrorResponse(error, error.status === 415 && unreadBodyIsLarge(head, options));
  }

  if (!(error instanceof ClosedError)) throw error;
  // The deadline of close() passed while this body was uploading: the event was not queued, and
  // a closing receiver turns every request away with its closing rejection.
  const admission = receiver.tryAdmit();
  if (!admission.admitted) return rejectionFor(head, admission, options);

  admission.release();
  throw error;
}
