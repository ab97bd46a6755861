/**
 * Fuzzing the routes, share 1 of 2 (test/helpers/fuzz-routes-suite.ts): the two files split
 * ROUTES by index, so every route is fuzzed, and they run side by side.
 */
import { fuzzRoutes } from '../helpers/fuzz-routes-suite.ts';

fuzzRoutes(1, 2);
