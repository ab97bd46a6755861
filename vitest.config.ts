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
          // one DynamoDB Local (in memory) for the whole project: each file and each local stack
          // uses tables of its own on it (test/helpers/dynamodb.ts). Only the tests about DynamoDB
          // Local's own life (restart, data dir, SIGKILL, `npm start`) start another.
          globalSetup: ['test/helpers/dynamodb-global-setup.ts'],
          // each file has its own local stack (port 0, its own temp dir and table), so files run
          // side by side: the suite waits on I/O more than on CPU
          fileParallelism: true,
        },
      },
    ],
  },
});
