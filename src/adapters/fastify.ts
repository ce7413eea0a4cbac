/**
 * The Fastify adapter (Fastify 5): a plugin that gates every route of its context in an
 * `onRequest` hook, before Fastify reads the body, and hands the admitted request its slot as
 * `request.backpressure`; a ready receiver route; a status route; a route-level guard; and, in
 * the plugin, `Expect: 100-continue` and draining the receiver when the app closes.
 *
 * @example
 * import Fastify from 'fastify';
 * import { createBackpressure } from 'backpressure';
 * import { fastifyBackpressure, receive, statusRoute } from 'backpressure/fastify';
 *
 * const receiver = createBackpressure({ process: async (event: Order) => { await save(event); } });
 * const app = Fastify();
 * await app.register(fastifyBackpressure, { receiver, exclude: ['/health'] });
 * app.post('/webhooks', receive(receiver, { limitBytes: 64 * 1024 }));
 * app.post('/orders', async (request, reply) => {
 *   await request.backpressure?.enqueue(request.body);
 *   return reply.code(202).send();
 * });
 * app.get('/status', { config: { backpressure: false } }, statusRoute(receiver));
 *
 * @module
 */

import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  RouteHandlerMethod,
} from 'fastify';
import fp from 'fastify-plugin';

import { OptionTypeError } from '../core/errors.js';
import type { Backpressure, CloseOptions, CloseResult, Slot } from '../core/receiver.js';
import { boolean, fn, object, timeoutOption } from '../core/validate.js';
import { RequestBodyError, tooLarge } from '../http/body.js';
import {
  resolveGuardOptions,
  resolveReceiveOptions,
  type GuardOptions,
  type ReceiveOptions,
  type ResolvedGuardOptions,
} from '../http/options.js';
import { bodyErrorResponse, statusResponse, type PlainResponse } from '../http/responses.js';
import { unreadBodyIsLarge } from '../http/receive.js';
import { pathOf } from '../http/slot.js';
import {
  handleExpectContinue,
  nodeRejection,
  receiveNodeBody,
  admitNode,
  nodeBodyHead,
  upstreamJsonBody,
} from '../node/request.js';

export { handleExpectContinue } from '../node/request.js';
export type { GuardOptions, ReceiveOptions } from '../http/options.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The queue slot reserved for this request by the plugin or a guard: fill it with
     * `enqueue()`. `null` when the request bypassed the gate (excluded path, route opted out).
     */
    backpressure: Slot<unknown> | null;
  }

  interface FastifyContextConfig {
    /** `false` takes the route out of the plugin's gate, as `exclude` does for a path. */
    backpressure?: boolean;
  }
}

/** Options of {@link fastifyBackpressure}, given to `app.register()`. */
export interface FastifyBackpressureOptions extends GuardOptions {
  /** The receiver that admits requests and whose queue the slots belong to. */
  // A receiver of any event type is welcome, and `Backpressure` is invariant in it; its slots
  // reach the routes as `Slot<unknown>` either way.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  receiver: Backpressure<any>;
  /**
   * Answer `Expect: 100-continue` from the gate on `fastify.server`, so that a rejected client
   * never sends its body. Decided on the path alone, before routing and for the whole server:
   * also list in `exclude` the paths of routes opted out through their config or registered
   * outside the plugin's context.
   * @default true
   */
  handleExpectContinue?: boolean;
  /**
   * How long `app.close()` waits for the queue to drain, in milliseconds (`Infinity` waits as
   * long as it takes).
   * @default 10_000
   */
  closeTimeoutMs?: number;
  /**
   * Receives what `receiver.close()` handed back when events were left at shutdown. Without it,
   * the plugin logs a warning through `fastify.log` instead.
   * @default a warning in the log
   */
  onUnprocessed?: (result: CloseResult<unknown>) => void | Promise<void>;
}

/** The route options {@link receive} returns: pass them to `app.post()`, or spread and extend. */
export interface FastifyReceiveRoute {
  /** `limitBytes`: Fastify refuses a larger body with 413 before buffering it. */
  readonly bodyLimit: number;
  /** Admits the request from its head, unless the plugin already did. */
  readonly onRequest: onRequestHookHandler;
  /** Answers Fastify's own body errors (400, 413, 415) as problem documents. */
  readonly errorHandler: (
    error: FastifyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => void;
  readonly handler: RouteHandlerMethod;
}

/** Fastify's body errors that {@link receive} answers itself, by the shared code they become. */
const bodyErrorCodes: Readonly<
  Record<string, ConstructorParameters<typeof RequestBodyError>[0] | undefined>
> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_BACKPRESSURE_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_BACKPRESSURE_BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_BACKPRESSURE_BODY_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_BACKPRESSURE_BODY_INVALID',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_BACKPRESSURE_BODY_INVALID',
};

function backpressurePlugin(
  fastify: FastifyInstance,
  options: FastifyBackpressureOptions,
  done: (error?: Error) => void,
): void {
  try {
    install(fastify, options);
  } catch (error) {
    // avvio does not catch a plugin that throws: an invalid option must fail `register()`.
    done(error as Error);
    return;
  }

  done();
}

function install(fastify: FastifyInstance, options: FastifyBackpressureOptions): void {
  const raw = object('options', options);
  const receiver = receiverOption(raw.receiver);
  const guardOptions = resolveGuardOptions(options);
  const expectContinue = boolean('handleExpectContinue', raw.handleExpectContinue, true);
  const closeOptions = closeOptionsOf(raw.closeTimeoutMs);
  const onUnprocessed = fn<NonNullable<FastifyBackpressureOptions['onUnprocessed']>>(
    'onUnprocessed',
    raw.onUnprocessed,
  );

  fastify.decorateRequest('backpressure', null);
  fastify.addHook(
    'onRequest',
    admissionHook(receiver, guardOptions, (request) => {
      if (request.routeOptions.config.backpressure === false) return true;
      return guardOptions.isExcluded(request.method, pathOf(request.url));
    }),
  );

  if (expectContinue) answerExpectContinue(fastify, receiver, options);

  fastify.addHook('onClose', async () => {
    const result = await receiver.close(closeOptions);
    if (result.unprocessed.length + result.interrupted.length === 0) return;
    if (onUnprocessed !== undefined) {
      await onUnprocessed(result);
      return;
    }

    fastify.log.warn(
      `backpressure: ${result.unprocessed.length} events unprocessed and ` +
        `${result.interrupted.length} interrupted at shutdown; pass onUnprocessed to keep them`,
    );
  });
}

function receiverOption(value: unknown): Backpressure<unknown> {
  const candidate = value as Partial<Backpressure<unknown>> | null | undefined;
  if (typeof candidate?.tryAdmit === 'function' && typeof candidate.close === 'function') {
    return candidate as Backpressure<unknown>;
  }

  throw new OptionTypeError('receiver', 'a receiver made by createBackpressure()', value);
}

function closeOptionsOf(value: unknown): CloseOptions {
  if (value === undefined) return {};
  // Checked at registration with close()'s own rule, so that a bad value fails `register()`.
  return { timeoutMs: timeoutOption('closeTimeoutMs', value, 10_000) };
}

function answerExpectContinue(
  fastify: FastifyInstance,
  receiver: Backpressure<unknown>,
  options: GuardOptions,
): void {
  // Two 'checkContinue' listeners would each hand the request to Fastify: keep the first.
  if (fastify.server.listenerCount('checkContinue') > 0) {
    fastify.log.warn(
      'backpressure: the server already answers Expect: 100-continue, so the plugin does not; ' +
        'set handleExpectContinue: false to silence this',
    );
    return;
  }

  const remove = handleExpectContinue(fastify.server, receiver, options);
  fastify.addHook('onClose', (_instance, done) => {
    remove();
    done();
  });
}

/**
 * The plugin: gates every route of the context it is registered in, and of that context's
 * children, in an `onRequest` hook, leaving the slot in `request.backpressure`. Skip a route with
 * `{ config: { backpressure: false } }` or a path with `exclude`; to gate only some routes,
 * register it inside a plugin with them. On `app.close()` it closes the receiver, waiting up to
 * `closeTimeoutMs`, and passes any leftover events to `onUnprocessed`.
 *
 * @example
 * await app.register(fastifyBackpressure, { receiver, exclude: ['/health'] });
 */
export const fastifyBackpressure: FastifyPluginCallback<FastifyBackpressureOptions> = fp(
  backpressurePlugin,
  { fastify: '5.x', name: 'backpressure' },
);

export default fastifyBackpressure;

/**
 * Creates an `onRequest` hook that gates one route without the plugin. A request the plugin
 * already admitted keeps its slot; excluded paths pass, and without the plugin's decoration their
 * `request.backpressure` is `undefined` rather than `null`.
 *
 * @example
 * app.post('/orders', { onRequest: guard(receiver) }, async (request, reply) => {
 *   await request.backpressure?.enqueue(request.body);
 *   return reply.code(202).send();
 * });
 */
export function guard<T>(receiver: Backpressure<T>, options?: GuardOptions): onRequestHookHandler {
  const resolved = resolveGuardOptions(options);
  return admissionHook(
    receiver,
    resolved,
    (request) =>
      request.backpressure != null || resolved.isExcluded(request.method, pathOf(request.url)),
  );
}

/**
 * Creates a receiver route: admits the request from its head (unless the plugin did), lets
 * Fastify parse the JSON body up to `limitBytes` (its `bodyLimit`), applies `toEvent`, queues the
 * event and answers `202 Accepted`; 429 with `Retry-After` when saturated; 400, 413 or 415 as a
 * problem document for a body it cannot take. Fastify parses `application/json` only: add a
 * parser for `application/*+json` types if senders use them.
 *
 * @example
 * app.post('/webhooks', receive(receiver, { limitBytes: 64 * 1024, toEvent: parseOrder }));
 * app.post('/events', { ...receive(receiver), schema: { headers: signatureSchema } });
 */
export function receive<T>(
  receiver: Backpressure<T>,
  options?: ReceiveOptions<T>,
): FastifyReceiveRoute {
  const resolved = resolveReceiveOptions(options);

  return {
    bodyLimit: resolved.limitBytes,
    onRequest: admissionHook(receiver, resolved, (request) => request.backpressure != null),
    errorHandler: function backpressureBodyError(error, request, reply) {
      const code = bodyErrorCodes[error.code];
      // Anything else goes on to the error handler of the route's context.
      if (code === undefined) throw error;

      const refusal =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? tooLarge(request.routeOptions.bodyLimit)
          : new RequestBodyError(code, error.message);
      sendPlain(
        reply,
        bodyErrorResponse(refusal, unreadBodyIsLarge(nodeBodyHead(request.raw), resolved)),
      );
    },
    handler: async function backpressureReceive(request, reply) {
      const admission = (request.backpressure as Slot<T> | null) ?? receiver.tryAdmit();
      if (!admission.admitted) {
        return sendPlain(reply, nodeRejection(request.raw, admission, resolved));
      }

      // A body Fastify parsed as JSON is used as it is; any other type is answered with 415.
      const parsed = upstreamJsonBody(request.raw, request.body);
      return sendPlain(
        reply,
        await receiveNodeBody(receiver, admission, request.raw, resolved, parsed),
      );
    },
  };
}

/**
 * Creates a handler serving the receiver's snapshot as JSON. With `readiness: true` it answers
 * 503 once shutdown has begun. Take its route out of the plugin's gate, or a saturated receiver
 * sheds its own status requests.
 *
 * @example
 * const status = statusRoute(receiver, { readiness: true });
 * app.get('/status', { config: { backpressure: false } }, status);
 */
export function statusRoute<T>(
  receiver: Backpressure<T>,
  options: { readiness?: boolean } = {},
): RouteHandlerMethod {
  const readiness = options.readiness ?? false;
  return function backpressureStatus(_request, reply) {
    sendPlain(reply, statusResponse(receiver, readiness));
  };
}

function admissionHook<T>(
  receiver: Backpressure<T>,
  options: ResolvedGuardOptions,
  bypass: (request: FastifyRequest) => boolean,
): onRequestHookHandler {
  return function backpressureGuard(request, reply, done) {
    if (bypass(request)) {
      done();
      return;
    }

    // Released on the response's 'close', which comes both when it ends and when the client
    // leaves mid-upload: Fastify's onResponse misses the second.
    const admission = admitNode(receiver, request.raw, reply.raw);
    if (!admission.admitted) {
      // A callback hook that sends the reply ends the request: `done` must not follow.
      sendPlain(reply, nodeRejection(request.raw, admission, options));
      return;
    }

    request.backpressure = admission;
    done();
  };
}

function sendPlain(reply: FastifyReply, response: PlainResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}
