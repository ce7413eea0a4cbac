/**
 * The fetch-API half of every adapter built on Web `Request` and `Response` (Hono, and any
 * handler of the form `(request) => Response`): admission from the request head, release of the
 * slot when the client goes away, the receiver route's work on the body stream, and the shared
 * plain responses turned into Web responses.
 *
 * Runtime-agnostic: it uses only what Node, Bun, Deno and Workers all provide.
 *
 * @module
 */

import type { Rejection } from '../core/admit.js';
import type { Backpressure, Slot } from '../core/receiver.js';
import {
  aborted,
  assertDeclaredLength,
  assertJsonContentType,
  parseJson,
  readStreamWithLimit,
  tooLarge,
} from './body.js';
import { type ResolvedGuardOptions, type ResolvedReceiveOptions } from './options.js';
import { type PlainResponse } from './responses.js';
import { receiveEvent, rejectionFor, type BodyHead } from './receive.js';

/** Statuses whose response must not carry a body (the Fetch standard's null body statuses). */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

/**
 * Turns a plain response into a Web `Response`. The runtime sets `Content-Length` itself.
 *
 * @example
 * return toWebResponse(statusResponse(receiver, true));
 */
export function toWebResponse(plain: PlainResponse): Response {
  // `new Response()` throws when a body comes with 204 or 304, which a rejectResponse hook may set.
  const body = nullBodyStatuses.has(plain.status) ? null : plain.body;
  return new Response(body, { status: plain.status, headers: plain.headers });
}

/**
 * The rejection response for a Web request, asking the client to close the connection when the
 * unread body is large or of unknown length.
 *
 * @example
 * const admission = receiver.tryAdmit();
 * if (!admission.admitted) return webRejection(request, admission, resolved);
 */
export function webRejection(
  request: Request,
  rejection: Rejection,
  options: ResolvedGuardOptions,
): Response {
  return toWebResponse(rejectionFor(webBodyHead(request), rejection, options));
}

/** What a Web request's head says about its body. */
function webBodyHead(request: Request): BodyHead {
  return {
    contentLength: request.headers.get('content-length'),
    transferEncoding: request.headers.get('transfer-encoding'),
    bodyUnread: !request.bodyUsed,
  };
}

/**
 * Releases `slot` as soon as the request's `signal` aborts (the client went away). Returns a
 * function that stops watching; call it when the response is done. Where a runtime gives the
 * request no signal, nothing is watched and the caller's own release at the end still applies.
 *
 * @example
 * const stopWatching = releaseOnAbort(request, slot);
 * try {
 *   return await handle(request, slot);
 * } finally {
 *   stopWatching();
 *   slot.release(); // a no-op once the slot holds an event
 * }
 */
export function releaseOnAbort(request: Request, slot: Slot<unknown>): () => void {
  // Typed as optional on purpose: hand-made requests in some runtimes and test doubles lack it.
  const signal = request.signal as AbortSignal | undefined;
  if (signal === undefined) return noop;

  if (signal.aborted) {
    slot.release();
    return noop;
  }

  const release = (): void => {
    slot.release();
  };
  signal.addEventListener('abort', release, { once: true });
  return () => {
    signal.removeEventListener('abort', release);
  };
}

/**
 * Reads a Web request's body, refusing more than `limitBytes`: before reading when
 * `Content-Length` already says so (413), and as soon as the stream passes the limit otherwise.
 *
 * @example
 * const event = parseJson(await readWebBody(request, 64 * 1024));
 */
export async function readWebBody(request: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  assertDeclaredLength(declared, limitBytes);
  if (declared === null) return readStreamWithLimit(request.body, limitBytes);

  // A declared length within the limit already bounds what arrayBuffer() buffers, and runtimes
  // read a whole body much faster than through a stream (on @hono/node-server, several times).
  const buffer = await request.arrayBuffer().catch(() => {
    throw aborted();
  });
  if (buffer.byteLength > limitBytes) throw tooLarge(limitBytes);
  return new Uint8Array(buffer);
}

/**
 * The receiver route's work after admission: check the content type, read and parse the body,
 * queue the event and answer 202. A bad body gets 400, 413 or 415 and its slot back; a body
 * still uploading when `close()` gave up gets the closing rejection. `readBody` replaces the
 * stream reader when a framework has already buffered the body.
 *
 * @example
 * const admission = receiver.tryAdmit();
 * if (!admission.admitted) return webRejection(request, admission, resolved);
 * return receiveWebRequest(receiver, admission, request, resolved);
 */
export async function receiveWebRequest<T>(
  receiver: Backpressure<T>,
  slot: Slot<T>,
  request: Request,
  options: ResolvedReceiveOptions<T>,
  readBody: (limitBytes: number) => Promise<Uint8Array> = (limitBytes) =>
    readWebBody(request, limitBytes),
): Promise<Response> {
  const response = await receiveEvent(receiver, slot, webBodyHead(request), options, async () => {
    assertJsonContentType(request.headers.get('content-type'));
    return parseJson(await readBody(options.limitBytes));
  });
  return toWebResponse(response);
}

function noop(): void {
  // Nothing to undo.
}
