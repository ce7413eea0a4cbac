/**
 * Request bodies: the JSON content-type check, a size-limited reader for Web streams, parsing,
 * and the errors that become 400, 413 and 415 instead of a 500.
 *
 * Runtime-agnostic: used by the fetch-based adapter and, through the Node reader, by the others.
 *
 * @module
 */

import { BackpressureError, type BackpressureErrorCode } from '../core/errors.js';

/** Why a request body was refused, with the status to answer. */
export class RequestBodyError extends BackpressureError {
  /** 400 malformed, 413 too large, 415 wrong content type; 400 for an aborted upload. */
  readonly status: 400 | 413 | 415;

  constructor(code: BodyErrorCode, message: string) {
    super(code, message);
    this.name = 'RequestBodyError';
    this.status = statusOf[code];
  }
}

type BodyErrorCode = Extract<
  BackpressureErrorCode,
  | 'ERR_BACKPRESSURE_BODY_INVALID'
  | 'ERR_BACKPRESSURE_BODY_TOO_LARGE'
  | 'ERR_BACKPRESSURE_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_BACKPRESSURE_BODY_ABORTED'
>;

const statusOf = {
  ERR_BACKPRESSURE_BODY_INVALID: 400,
  ERR_BACKPRESSURE_BODY_TOO_LARGE: 413,
  ERR_BACKPRESSURE_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_BACKPRESSURE_BODY_ABORTED: 400,
} as const;

/** The body is larger than `limitBytes`. */
export function tooLarge(limitBytes: number): RequestBodyError {
  return new RequestBodyError(
    'ERR_BACKPRESSURE_BODY_TOO_LARGE',
    `The request body exceeds the limit of ${limitBytes} bytes`,
  );
}

/** The client went away before the whole body arrived. */
export function aborted(): RequestBodyError {
  return new RequestBodyError(
    'ERR_BACKPRESSURE_BODY_ABORTED',
    'The request was aborted before its body was complete',
  );
}

/**
 * True for `application/json` and any `application/*+json` type (such as
 * `application/cloudevents+json`), whatever the parameters.
 */
export function isJsonContentType(header: string | null | undefined): boolean {
  if (header == null) return false;

  const semicolon = header.indexOf(';');
  const type = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Throws a 415 error unless `header` names a JSON media type. */
export function assertJsonContentType(header: string | null | undefined): void {
  if (isJsonContentType(header)) return;

  throw new RequestBodyError(
    'ERR_BACKPRESSURE_UNSUPPORTED_MEDIA_TYPE',
    'Expected a JSON request body (application/json)',
  );
}

/**
 * Throws a 413 error when a declared `Content-Length` already exceeds the limit, so that an
 * oversized body is refused before any of it is read.
 */
export function assertDeclaredLength(header: string | null | undefined, limitBytes: number): void {
  if (header == null) return;

  const declared = Number(header);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 and parses JSON; anything malformed (or empty) becomes a 400 error. */
export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    throw new RequestBodyError(
      'ERR_BACKPRESSURE_BODY_INVALID',
      'The request body is not valid JSON',
    );
  }
}

/**
 * Wraps an error thrown by the user's `toEvent` as a 400: the body was well-formed but unusable.
 */
export function invalidEvent(error: unknown): RequestBodyError {
  const detail = error instanceof Error ? error.message : String(error);
  return new RequestBodyError('ERR_BACKPRESSURE_BODY_INVALID', `Invalid event: ${detail}`);
}

/**
 * Reads a Web `ReadableStream` to the end, failing with a 413 error as soon as more than
 * `limitBytes` have arrived (the rest is cancelled, never buffered).
 */
export async function readStreamWithLimit(
  stream: ReadableStream<Uint8Array> | null,
  limitBytes: number,
): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);

  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const result = await reader.read().catch(() => {
      throw aborted();
    });

    if (result.done) break;
    length += result.value.byteLength;
    if (length > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limitBytes);
    }

    chunks.push(result.value);
  }

  return concat(chunks, length);
}

/** Joins chunks into one array of `length` bytes. */
export function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];

  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }

  return joined;
}
