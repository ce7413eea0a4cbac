/**
 * The servers of the HTTP suite: one JSON POST route per framework, built in one of five modes.
 *
 * - `bare`: no backpressure. The route reads and parses the body, hands the event to an array
 *   that a no-op worker empties, and answers 202.
 * - `guarded`: the adapter's `receive()` on a receiver that always admits.
 * - `rejecting`: the same route on a saturated receiver, so that every request gets 429.
 * - `peer-admitting`, `peer-rejecting`: the bare route behind another library's load shedding
 *   (@fastify/under-pressure on Fastify, overload-protection on Express), first with thresholds
 *   it never reaches, then forced to shed every request with 503.
 *
 * The bare route reads and answers the way the adapter does on that framework (the raw stream on
 * node:http, Express and Koa, Fastify's own parser, Hono's request), so that the ratio of the two
 * is the cost of backpressure, not of a different body parser. On Express this means no
 * `express.json()`: it does more work per request than the adapter's reader, and would make the
 * guarded route look cheaper than the bare one.
 *
 * @module
 */

import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';

import underPressure from '@fastify/under-pressure';
import { serve } from '@hono/node-server';
import express, { type RequestHandler } from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';

import * as expressAdapter from '../src/adapters/express.js';
import * as fastifyAdapter from '../src/adapters/fastify.js';
import * as honoAdapter from '../src/adapters/hono.js';
import * as koaAdapter from '../src/adapters/koa.js';
import * as nodeAdapter from '../src/adapters/node.js';
import type { Backpressure } from '../src/index.js';
import {
  accepted,
  admittingReceiver,
  BareBodyError,
  createSink,
  readJsonBody,
  saturatedReceiver,
} from './http-routes.js';

/** The frameworks the suite loads, in the order it prints them. */
export const frameworks = ['node', 'express', 'fastify', 'koa', 'hono'] as const;
export type Framework = (typeof frameworks)[number];

/** The server modes; see the module header. */
export const modes = ['bare', 'guarded', 'rejecting', 'peer-admitting', 'peer-rejecting'] as const;
export type Mode = (typeof modes)[number];

/** The path every server answers and the load generator posts to. */
export const ROUTE = '/events';

/** What a framework's builder is asked for: a bare route, a receiver route, or the peer's. */
type Route =
  | { readonly kind: 'bare' }
  | { readonly kind: 'guarded'; readonly receiver: Backpressure<unknown> }
  | { readonly kind: 'peer'; readonly shedding: boolean };

type Builder = (route: Route) => Promise<Server>;

/** overload-protection ships no types: this is the part of its API the suite calls. */
type OverloadProtection = (framework: 'express', options: object) => RequestHandler;
const overloadProtection = createRequire(import.meta.url)(
  'overload-protection',
) as OverloadProtection;

/**
 * Builds the server of one framework in one mode, listening on 127.0.0.1 on a free port.
 *
 * @example
 * const server = await startServer('koa', 'guarded');
 */
export async function startServer(framework: Framework, mode: Mode): Promise<Server> {
  const server = await builders[framework](await routeFor(mode));
  if (!server.listening) await once(server, 'listening');
  return server;
}

async function routeFor(mode: Mode): Promise<Route> {
  switch (mode) {
    case 'bare':
      return { kind: 'bare' };
    case 'guarded':
      return { kind: 'guarded', receiver: admittingReceiver() };
    case 'rejecting':
      return { kind: 'guarded', receiver: await saturatedReceiver() };
    case 'peer-admitting':
      return { kind: 'peer', shedding: false };
    case 'peer-rejecting':
      return { kind: 'peer', shedding: true };
  }
}

const listenOptions = { port: 0, host: '127.0.0.1' } as const;

/**
 * The headers of a 202 written with `writeHead`: with its length, as the adapter sends it, since
 * without one Node would fall back to chunked encoding, a different response.
 */
const acceptedHeaders = { ...accepted.headers, 'content-length': accepted.body.length };

function noPeer(framework: string): never {
  throw new Error(`The suite compares no other load-shedding library on ${framework}`);
}

const builders: Readonly<Record<Framework, Builder>> = {
  node(route) {
    if (route.kind === 'peer') noPeer('node:http');

    const sink = createSink();
    const bare: RequestListener = (req, res) => {
      readJsonBody(req).then(
        (event) => {
          sink(event);
          res.writeHead(accepted.status, acceptedHeaders).end(accepted.body);
        },
        () => res.writeHead(400).end(),
      );
    };
    const listener = route.kind === 'guarded' ? nodeAdapter.receive(route.receiver) : bare;
    return Promise.resolve(createServer(listener).listen(listenOptions));
  },

  express(route) {
    const app = express();
    const sink = createSink();
    const bare: RequestHandler = (req, res, next) => {
      readJsonBody(req).then((event) => {
        sink(event);
        res.writeHead(accepted.status, acceptedHeaders).end(accepted.body);
      }, next);
    };

    if (route.kind === 'guarded') app.post(ROUTE, expressAdapter.receive(route.receiver));
    if (route.kind === 'bare') app.post(ROUTE, bare);
    if (route.kind === 'peer') {
      // Its memory check runs every `sampleInterval` ms either way; only the threshold differs.
      // A heap of 1 byte is always exceeded, one of 1 TiB never is.
      const protect = overloadProtection('express', {
        production: true,
        maxEventLoopDelay: 1_000,
        maxHeapUsedBytes: route.shedding ? 1 : 2 ** 40,
      });
      app.post(ROUTE, protect, bare);
    }

    return Promise.resolve(app.listen(listenOptions.port, listenOptions.host));
  },

  async fastify(route) {
    const app = Fastify();
    const sink = createSink();
    if (route.kind === 'guarded') {
      app.post(ROUTE, fastifyAdapter.receive(route.receiver));
    } else {
      if (route.kind === 'peer') {
        // The health check runs every 100 ms either way; only its answer differs. A failing one
        // makes every request fail with 503 from the plugin's onRequest hook.
        await app.register(underPressure, {
          maxEventLoopDelay: 1_000,
          healthCheck: () => Promise.resolve(!route.shedding),
          healthCheckInterval: 100,
        });
      }

      app.post(ROUTE, (request, reply) => {
        sink(request.body);
        return reply.code(accepted.status).headers(accepted.headers).send(accepted.body);
      });
    }

    await app.listen(listenOptions);
    return app.server;
  },

  koa(route) {
    if (route.kind === 'peer') noPeer('Koa');

    const app = new Koa();
    const sink = createSink();
    if (route.kind === 'guarded') {
      app.use(koaAdapter.receive(route.receiver));
    } else {
      app.use(async (ctx) => {
        try {
          sink(await readJsonBody(ctx.req));
        } catch (error) {
          if (!(error instanceof BareBodyError)) throw error;
          ctx.status = 400;
          return;
        }

        ctx.status = accepted.status;
        ctx.set(accepted.headers);
        ctx.body = accepted.body;
      });
    }

    return Promise.resolve(app.listen(listenOptions.port, listenOptions.host));
  },

  hono(route) {
    if (route.kind === 'peer') noPeer('Hono');

    const app = new Hono();
    const sink = createSink();
    if (route.kind === 'guarded') {
      app.post(ROUTE, honoAdapter.receive(route.receiver));
    } else {
      app.post(ROUTE, async (c) => {
        sink(await c.req.json());
        return c.body(accepted.body, accepted.status, accepted.headers);
      });
    }

    const server = serve({ fetch: app.fetch, port: 0, hostname: listenOptions.host });
    return Promise.resolve(server as Server);
  },
};
