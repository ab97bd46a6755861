import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // one module graph per worker, not per file: importing the AWS SDK, zod and aws-cdk-lib
          // again for every file was most of the unit run's CPU. Files restore what they stub.
          isolate: false,
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/security/**/*.test.ts',
            'test/faults/**/*.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // each file starts its own DynamoDB Local and local stack (port 0, its own temp dir),
          // so files run side by side: the suite waits on Java and I/O more than on CPU
          fileParallelism: true,
        },
      },
    ],
  },
});
