// Bundle entry of the main step (action/dist/main.mjs); the logic is in main.ts.
import { run } from './main.ts';

await run();
