import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per subpath export; package.json's `exports` lists the same names.
  entry: {
    index: 'src/index.ts',
    node: 'src/adapters/node.ts',
    express: 'src/adapters/express.ts',
    fastify: 'src/adapters/fastify.ts',
    koa: 'src/adapters/koa.ts',
    hono: 'src/adapters/hono.ts',
    process: 'src/process.ts',
    prometheus: 'src/metrics/prometheus.ts',
    otel: 'src/metrics/otel.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  treeshake: true,
  target: 'es2022',
  // Keeps `node:` imports as written, and Node-only modules out of runtime-agnostic chunks.
  platform: 'node',
  removeNodeProtocol: false,
});
