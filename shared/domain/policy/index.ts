export {
  type BuiltSessionPolicy,
  buildSessionPolicy,
  type GuardrailProfile,
  SESSION_POLICY_MAX_LENGTH,
  validateGuardrails,
} from './builder.ts';
export {
  type CatalogueAction,
  canonicalActionName,
  catalogueFirstLoadMs,
  configureCatalogue,
  expandActionPattern,
  isReadOnly,
  lookupAction,
  serviceActions,
  serviceExists,
} from './catalogue.ts';
export {
  canMatchEscalation,
  ESCALATION_ACTION_PATTERNS,
  escalationMatchedBy,
  isLiteralAction,
} from './escalation.ts';
export {
  canonicalGlob,
  findCommon,
  findOutsideRectangles,
  findUncovered,
  type GlobOptions,
  GlobTooComplexError,
  globMatches,
  globsIntersect,
  hasWildcard,
  isCovered,
  MAX_SEARCH_STATES,
  type OutsideWitness,
  type Rectangle,
} from './glob.ts';
export { actionProblem, LIMITS, resourceProblem, writtenSize } from './patterns.ts';
