// Bundle entry of the post step (action/dist/post.mjs); the logic is in post.ts.
import { run } from './post.ts';

await run();
