/**
 * The Node.js half of every adapter built on `node:http` (Express, Koa and plain `node:http`):
 * admission from the request head, release of the slot when the response ends, the size-limited
 * body reader, the receiver route and `Expect: 100-continue`.
 *
 * @module
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { Admission, Backpressure, Slot } from '../core/receiver.js';
import {
  aborted,
  assertDeclaredLength,
  assertJsonContentType,
  concat,
  isJsonContentType,
  parseJson,
  tooLarge,
} from '../http/body.js';
import {
  resolveGuardOptions,
  type GuardOptions,
  type ResolvedGuardOptions,
  type ResolvedReceiveOptions,
} from '../http/options.js';
import { rejectionResponse, type PlainResponse } from '../http/responses.js';
import { holdEarlyAdmission, takeEarlyAdmission } from '../http/early-admission.js';
import { pathOf } from '../http/slot.js';
import { receiveEvent, rejectionFor, type BodyHead } from '../http/receive.js';
import type { Rejection } from '../core/admit.js';

/**
 * A body an upstream parser already read, if it is one the receiver route may use: the stream
 * has ended and the type was JSON. Parsers such as Express 4's leave `{}` on requests they skip,
 * so the value alone proves nothing.
 */
export function upstreamJsonBody(
  req: IncomingMessage,
  body: unknown,
): { readonly value: unknown } | undefined {
  if (body === undefined || !req.readableEnded) return undefined;
  return isJsonContentType(req.headers['content-type']) ? { value: body } : undefined;
}

/** Writes a plain response, unless the client is gone or a response was already started. */
export function writePlain(res: ServerResponse, response: PlainResponse): void {
  if (res.headersSent || res.destroyed) return;

  // A known length spares the client chunked decoding and lets the connection be reused.
  const headers =
    response.headers['content-length'] === undefined
      ? { ...response.headers, 'content-length': Buffer.byteLength(response.body) }
      : response.headers;
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** The rejection response for a Node request, closing the connection if its body is unread. */
export function nodeRejection(
  req: IncomingMessage,
  rejection: Rejection,
  options: ResolvedGuardOptions,
): PlainResponse {
  return rejectionFor(nodeBodyHead(req), rejection, options);
}

/** What a Node request's head says about its body. */
export function nodeBodyHead(req: IncomingMessage): BodyHead {
  return {
    contentLength: req.headers['content-length'],
    transferEncoding: req.headers['transfer-encoding'],
    bodyUnread: !req.readableEnded,
  };
}

/**
 * Asks the receiver about one request. Rejected: the rejection is written and `undefined`
 * returned. Admitted: the slot is returned, and it is released when the response closes unless
 * the route filled it first.
 */
export function admitNodeRequest<T>(
  receiver: Backpressure<T>,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedGuardOptions,
): Slot<T> | undefined {
  const admission = admitNode(receiver, req, res);
  if (admission.admitted) return admission;

  writePlain(res, nodeRejection(req, admission, options));
  return undefined;
}

/**
 * The admission of a Node request: the slot granted while answering its
 * `Expect: 100-continue`, if any, otherwise the receiver's decision now. An admitted slot is
 * released when the response closes, unless the route filled it first. Adapters that answer in
 * their own idiom (Koa, Fastify) call this and send the rejection themselves.
 */
export function admitNode<T>(
  receiver: Backpressure<T>,
  req: IncomingMessage,
  res: ServerResponse,
): Admission<T> {
  const early = takeEarlyAdmission<T>(req);
  if (early !== undefined) return early;

  const admission = receiver.tryAdmit();
  // Attached before anything awaits: 'close' fires both when the response ends and when the
  // client disconnects mid-upload, and release() after an enqueue does nothing. An early
  // admission carries this listener already.
  if (admission.admitted) releaseOnClose(res, admission);
  return admission;
}

export { takeEarlyAdmission } from '../http/early-admission.js';

function releaseOnClose(res: ServerResponse, slot: Slot<unknown>): void {
  res.once('close', () => {
    slot.release();
  });
}

/**
 * Reads a request body into memory, refusing more than `limitBytes` (413, before reading when
 * `Content-Length` already says so) and reporting a client that disconnects (aborted).
 */
export function readNodeBody(req: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  assertDeclaredLength(req.headers['content-length'], limitBytes);
  if (req.destroyed) return Promise.reject(aborted());
  // Nothing left to read: whoever consumed the stream before us kept the bytes.
  if (req.readableEnded) return Promise.resolve(new Uint8Array(0));

  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onClose);
      req.off('close', onClose);
    };
    const onData = (chunk: Uint8Array): void => {
      length += chunk.byteLength;
      if (length > limitBytes) {
        cleanup();
        reject(tooLarge(limitBytes));
        return;
      }

      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(concat(chunks, length));
    };
    const onClose = (): void => {
      cleanup();
      reject(aborted());
    };

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onClose);
    req.on('close', onClose);
  });
}

/**
 * The receiver route's work after admission: check the content type, read and parse the body
 * (unless an upstream parser already did: pass its result as `parsedBody`), queue the event, and
 * return the response to send: 202, or 400, 413 or 415 for a bad body, whose slot is given back.
 * Anything unexpected is rethrown for the framework's error handling.
 */
export function receiveNodeBody<T>(
  receiver: Backpressure<T>,
  slot: Slot<T>,
  req: IncomingMessage,
  options: ResolvedReceiveOptions<T>,
  parsedBody?: { readonly value: unknown },
): Promise<PlainResponse> {
  return receiveEvent(receiver, slot, nodeBodyHead(req), options, () =>
    parsedBody === undefined ? readJson(req, options) : parsedBody.value,
  );
}

/** {@link receiveNodeBody}, with the response written to `res`. */
export async function receiveNodeRequest<T>(
  receiver: Backpressure<T>,
  slot: Slot<T>,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedReceiveOptions<T>,
  parsedBody?: { readonly value: unknown },
): Promise<void> {
  writePlain(res, await receiveNodeBody(receiver, slot, req, options, parsedBody));
}

async function readJson<T>(
  req: IncomingMessage,
  options: ResolvedReceiveOptions<T>,
): Promise<unknown> {
  assertJsonContentType(req.headers['content-type']);
  return parseJson(await readNodeBody(req, options.limitBytes));
}

/**
 * Answers `Expect: 100-continue` from the gate: a client that would be rejected is told so before
 * it sends its body; an admitted one gets `100 Continue` and its slot travels with the request to
 * the guard. Returns a function that removes the listener.
 *
 * @example
 * const server = app.listen(3000);
 * handleExpectContinue(server, receiver, { exclude: ['/health'] });
 */
export function handleExpectContinue<T>(
  server: Server,
  receiver: Backpressure<T>,
  options: GuardOptions = {},
): () => void {
  const resolved = resolveGuardOptions(options);
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (resolved.isExcluded(req.method ?? 'GET', pathOf(req.url))) {
      res.writeContinue();
      server.emit('request', req, res);
      return;
    }

    const admission = receiver.tryAdmit();
    if (!admission.admitted) {
      writePlain(res, rejectionResponse(admission, true, resolved.rejectResponse));
      return;
    }

    holdEarlyAdmission(req, admission);
    // Released here too, in case the route that takes this request carries no guard.
    releaseOnClose(res, admission);
    res.writeContinue();
    server.emit('request', req, res);
  };

  server.on('checkContinue', listener);
  return () => {
    server.off('checkContinue', listener);
  };
}
