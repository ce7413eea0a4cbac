import { defineConfig } from 'vitest/config';

// The packed package, tested as its users install it. Runs after `npm run build`.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
