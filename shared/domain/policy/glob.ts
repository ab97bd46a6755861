/**
 * IAM wildcard semantics and exact language containment between wildcard patterns.
 *
 * A pattern is a string where `*` matches any sequence of characters (including none) and `?`
 * matches exactly one character; every other character matches itself. IAM has no escaping.
 * Actions are compared case-insensitively, ARNs case-sensitively.
 *
 * Containment is decided exactly with automata: each pattern compiles to a lazily determinised
 * automaton whose states are sets of pattern positions, and a breadth-first search runs over the
 * product of those automata on a reduced alphabet: the literal characters of all patterns
 * involved plus one fresh character (every character that occurs in no pattern behaves like any
 * other such character, so one stands for all). The search is complete, so "no witness" means
 * "contained", and a found witness is a concrete string that proves the opposite.
 */

export interface GlobOptions {
  /** compare case-insensitively (IAM actions); ARNs are case-sensitive (the default) */
  caseInsensitive?: boolean;
}

/** The search met more automaton states than its budget: the patterns are too complex to decide. */
export class GlobTooComplexError extends Error {
  override readonly name: string = 'GlobTooComplexError';
}

/** Upper bound on the product states one decision may visit before giving up (see GlobTooComplexError). */
export const MAX_SEARCH_STATES = 100_000;

/**
 * Bounded work. Every search, automaton step and match below spends elementary steps from the
 * budget of the policy decision in progress (set with `withWorkBudget`); when it runs out, the
 * decision stops with WorkBudgetExceededError instead of holding the process. The steps are
 * counted, not timed, so the outcome is the same on a fast or a loaded machine.
 */
export class WorkBudgetExceededError extends GlobTooComplexError {
  override readonly name = 'WorkBudgetExceededError';
}

let budget: { left: number; limit: number; seen: Set<string> } | undefined;

/** Runs `fn` (synchronous) with `steps` elementary steps to spend; nested budgets spend from both. */
export function withWorkBudget<T>(steps: number, fn: () => T): T {
  const outer = budget;
  const inner = { left: Math.min(steps, outer?.left ?? steps), limit: steps, seen: new Set<string>() };
  budget = inner;
  try {
    return fn();
  } finally {
    budget = outer;
    if (outer) outer.left -= inner.limit - Math.max(inner.left, 0);
  }
}

/** Every step ever spent (budget or not): memoised answers record what they cost from it. */
let spentTotal = 0;

/** Spends `steps` from the budget in progress (none: free); throws WorkBudgetExceededError when it runs out. */
export function spend(steps: number): void {
  spentTotal += steps;
  if (budget === undefined) return;
  budget.left -= steps;
  if (budget.left < 0) {
    throw new WorkBudgetExceededError(`checking the policy needed more than ${budget.limit} steps of work`);
  }
}

/**
 * A memoised answer charges what computing it cost, every time it is used: so the work counted
 * for a request, and where a budget runs out, never depend on what earlier requests left in the
 * caches (the same body always gets the same answer and the same policy).
 */
interface Costed<T> {
  value: T;
  cost: number;
}

function costed<T>(key: string, compute: () => T): Costed<T> {
  const before = spentTotal;
  const value = compute();
  budget?.seen.add(key);
  return { value, cost: spentTotal - before };
}

/** A remembered answer: free when this budget already paid for it, else charged what it cost. */
function charged<T>(key: string, known: Costed<T>): T {
  if (budget !== undefined && !budget.seen.has(key)) {
    spend(known.cost);
    budget.seen.add(key);
  }
  return known.value;
}

const fold = (s: string, ci: boolean): string => (ci ? s.toLowerCase() : s);

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/**
 * Canonical spelling of a pattern: in every run of wildcards, `?`s first then at most one `*`
 * (`*?`, `?*` and `**?` all denote the same language). Never changes the language.
 */
export function canonicalGlob(pattern: string): string {
  return pattern.replace(/[*?]{2,}/g, (run) => {
    const ones = run.replace(/\*/g, '');
    return run.includes('*') ? `${ones}*` : ones;
  });
}

/** Does `value` (a concrete string) match `pattern`? Classic linear-backtracking glob match. */
export function globMatches(pattern: string, value: string, options: GlobOptions = {}): boolean {
  const ci = options.caseInsensitive ?? false;
  const p = Array.from(fold(pattern, ci));
  const v = Array.from(fold(value, ci));
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  let steps = p.length + v.length;
  while (vi < v.length) {
    steps++;
    const t = p[pi];
    if (t === '*') {
      starP = pi++;
      starV = vi;
    } else if (pi < p.length && (t === '?' || t === v[vi])) {
      pi++;
      vi++;
    } else if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  spend(steps);
  return pi === p.length;
}

/**
 * A pattern's automaton, determinised lazily: a state is the sorted set of pattern positions
 * still alive after the input read so far (position `n` = the whole pattern matched).
 */
class LazyDfa {
  private readonly tokens: string[];
  /** universal[i]: from position i on, the pattern is only `*`s (so anything is accepted) */
  private readonly universalFrom: boolean[];
  private readonly sets: number[][] = [];
  private readonly ids = new Map<string, number>();
  private readonly transitions: Map<string, number>[] = [];
  private readonly accepting: boolean[] = [];
  private readonly universal: boolean[] = [];
  readonly start: number;
  static readonly DEAD = 0;

  constructor(folded: string) {
    this.tokens = Array.from(folded);
    const n = this.tokens.length;
    this.universalFrom = new Array<boolean>(n + 1).fill(false);
    this.universalFrom[n] = false;
    let allStars = true;
    for (let i = n - 1; i >= 0; i--) {
      allStars = allStars && this.tokens[i] === '*';
      this.universalFrom[i] = allStars;
    }
    this.literals = [...new Set(this.tokens.filter((t) => t !== '*' && t !== '?'))];
    this.intern([]); // id 0: dead
    this.start = this.intern(this.closure([0]));
  }

  /** distinct literal characters of the pattern (the part of the alphabet it distinguishes) */
  readonly literals: readonly string[];

  isDead(id: number): boolean {
    return id === LazyDfa.DEAD;
  }

  accepts(id: number): boolean {
    return this.accepting[id]!;
  }

  /** every continuation from this state is accepted */
  isUniversal(id: number): boolean {
    return this.universal[id]!;
  }

  step(id: number, ch: string): number {
    // charged whether or not the transition is known yet (see `costed`)
    spend(this.sets[id]!.length + 1 + (this.tokens.length >> 4));
    const memo = this.transitions[id]!;
    const known = memo.get(ch);
    if (known !== undefined) return known;
    const next: number[] = [];
    for (const i of this.sets[id]!) {
      const t = this.tokens[i];
      if (t === undefined) continue;
      if (t === '*') next.push(i);
      else if (t === '?' || t === ch) next.push(i + 1);
    }
    const result = this.intern(this.closure(next));
    memo.set(ch, result);
    return result;
  }

  /** The positions plus those reachable by letting `*`s match nothing; sorted, without repeats. */
  private closure(positions: number[]): number[] {
    if (positions.length === 0) return positions;
    const seen = new Uint8Array(this.tokens.length + 1);
    let low = Number.POSITIVE_INFINITY;
    let high = -1;
    for (const start of positions) {
      let i = start;
      seen[i] = 1;
      while (this.tokens[i] === '*') seen[++i] = 1;
      low = Math.min(low, start);
      high = Math.max(high, i);
    }
    const out: number[] = [];
    for (let i = low; i <= high; i++) if (seen[i]) out.push(i);
    return out;
  }

  private intern(set: number[]): number {
    const key = set.join(',');
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    internedWeight += set.length + 1;
    const id = this.sets.length;
    this.sets.push(set);
    this.ids.set(key, id);
    this.transitions.push(new Map());
    this.accepting.push(set.includes(this.tokens.length));
    this.universal.push(set.some((i) => this.universalFrom[i]));
    return id;
  }
}

/** Compiled automata are pure functions of the (folded) pattern: keep them across calls. */
const dfaCache = new Map<string, LazyDfa>();
const DFA_CACHE_LIMIT = 4_000;
/** positions held by all interned automaton states: bounds the cache's memory, whatever the patterns */
let internedWeight = 0;
const INTERNED_WEIGHT_LIMIT = 4_000_000;

function dfaFor(folded: string): LazyDfa {
  let dfa = dfaCache.get(folded);
  if (!dfa) {
    if (dfaCache.size >= DFA_CACHE_LIMIT || internedWeight > INTERNED_WEIGHT_LIMIT) {
      dfaCache.clear();
      internedWeight = 0;
    }
    dfa = new LazyDfa(folded);
    dfaCache.set(folded, dfa);
  }
  return dfa;
}

/** Preferred fresh characters: readable in a witness and valid in actions and ARNs. */
const FRESH_CANDIDATES = 'xyzqjkwvbfghmpuotnrslicdea0123456789';

/** A character that occurs in none of the folded patterns (never `*`, `?`, or an upper-case letter). */
function freshChar(used: Set<string>): string {
  for (const c of FRESH_CANDIDATES) if (!used.has(c)) return c;
  for (let code = 0x21; code < 0x10ffff; code++) {
    const c = String.fromCodePoint(code);
    if (c === '*' || c === '?' || c.toLowerCase() !== c || used.has(c)) continue;
    return c;
  }
  throw new Error('no fresh character available');
}

function alphabetOf(dfas: readonly LazyDfa[]): { alphabet: string[]; fresh: string } {
  const used = new Set<string>();
  for (const d of dfas) for (const c of d.literals) used.add(c);
  const fresh = freshChar(used);
  // fresh first: among equally short witnesses, prefer one built from the fresh character
  return { alphabet: [fresh, ...[...used].sort()], fresh };
}

type Visit = 'stop' | 'expand' | 'skip';

/** A compact map key for a product state (one UTF-16 unit per component while ids stay small). */
function stateKey(state: readonly number[]): string {
  for (const id of state) if (id >= 0xffff) return `\uffff${state.join(',')}`;
  return String.fromCharCode(...state);
}

/**
 * Breadth-first search over the product of `dfas` (reachable states only, and only those where
 * the first automaton, the pattern being explored, is still alive). `visit` sees each state once,
 * with a function that rebuilds the shortest word reaching it.
 */
function explore(
  dfas: readonly LazyDfa[],
  alphabet: readonly string[],
  visit: (state: readonly number[], word: () => string) => Visit,
): void {
  const states: number[][] = [];
  const parent: number[] = [];
  const via: string[] = [];
  const seen = new Map<string, number>();
  const wordOf = (index: number) => () => {
    const chars: string[] = [];
    for (let i = index; i > 0; i = parent[i]!) chars.push(via[i]!);
    return chars.reverse().join('');
  };
  const start = dfas.map((d) => d.start);
  states.push(start);
  parent.push(-1);
  via.push('');
  seen.set(stateKey(start), 0);
  for (let head = 0; head < states.length; head++) {
    const state = states[head]!;
    spend(dfas.length * (alphabet.length + 1));
    const decision = visit(state, wordOf(head));
    if (decision === 'stop') return;
    if (decision === 'skip') continue;
    for (const ch of alphabet) {
      // a dead first automaton (the pattern being explored) can never lead anywhere: skip early
      const first = dfas[0]!.step(state[0]!, ch);
      if (first === LazyDfa.DEAD) continue;
      const next = state.map((id, k) => (k === 0 ? first : dfas[k]!.step(id, ch)));
      const key = stateKey(next);
      if (seen.has(key)) continue;
      if (states.length >= MAX_SEARCH_STATES) {
        throw new GlobTooComplexError(
          `deciding containment needed more than ${MAX_SEARCH_STATES} automaton states`,
        );
      }
      seen.set(key, states.length);
      states.push(next);
      parent.push(head);
      via.push(ch);
    }
  }
}

/** The pattern with every wildcard replaced by one `fill` character (a string the pattern matches). */
function instantiate(pattern: string, fill: string): string {
  return pattern.replace(/[*?]/g, fill);
}

/**
 * A concrete string matched by `pattern` but by none of `cover`, or `undefined` when the language
 * of `pattern` is contained in the union of the languages of `cover` (exact).
 * With `caseInsensitive`, a witness found by the search is in lower case.
 */
export function findUncovered(
  pattern: string,
  cover: readonly string[],
  options: GlobOptions = {},
): string | undefined {
  const ci = options.caseInsensitive ?? false;
  const key = JSON.stringify([ci, pattern, [...new Set(cover)].sort()]);
  const known = uncovered.get(key);
  if (known !== undefined) return charged(key, known);
  const found = costed(key, () => searchUncovered(pattern, cover, ci));
  if (uncovered.size >= DFA_CACHE_LIMIT * 4) uncovered.clear();
  uncovered.set(key, found);
  return found.value;
}

/** findUncovered's answers: pure functions of their arguments, and the same guardrails come back. */
const uncovered = new Map<string, Costed<string | undefined>>();

function searchUncovered(pattern: string, cover: readonly string[], ci: boolean): string | undefined {
  const options = { caseInsensitive: ci };
  const p = dfaFor(fold(pattern, ci));
  const covers = [...new Set(cover.map((c) => fold(c, ci)))].map(dfaFor);
  const { alphabet, fresh } = alphabetOf([p, ...covers]);
  // fast path: the pattern with its wildcards filled in is often already a readable witness
  const simple = instantiate(pattern, fresh);
  if (!cover.some((c) => globMatches(c, simple, options))) return simple;
  const dfas = [p, ...covers];
  let witness: string | undefined;
  explore(dfas, alphabet, (state, word) => {
    if (p.isDead(state[0]!)) return 'skip';
    let covered = false;
    for (let k = 1; k < state.length; k++) {
      if (covers[k - 1]!.isUniversal(state[k]!)) return 'skip';
      if (covers[k - 1]!.accepts(state[k]!)) covered = true;
    }
    if (p.accepts(state[0]!) && !covered) {
      witness = word();
      return 'stop';
    }
    return 'expand';
  });
  return witness;
}

/** Is every string matched by `pattern` also matched by one of `cover`? (exact) */
export function isCovered(pattern: string, cover: readonly string[], options: GlobOptions = {}): boolean {
  return findUncovered(pattern, cover, options) === undefined;
}

/**
 * A concrete string matched by every one of `patterns` and, when `anyOf` is given, by at least
 * one of `anyOf`; `undefined` when there is none (exact).
 */
export function findCommon(
  patterns: readonly string[],
  options: GlobOptions & { anyOf?: readonly string[] } = {},
): string | undefined {
  const ci = options.caseInsensitive ?? false;
  const all = patterns.map((p) => dfaFor(fold(p, ci)));
  const any = (options.anyOf ?? []).map((p) => dfaFor(fold(p, ci)));
  const requireAny = options.anyOf !== undefined;
  if (requireAny && any.length === 0) return undefined;
  const { alphabet } = alphabetOf([...all, ...any]);
  let witness: string | undefined;
  explore([...all, ...any], alphabet, (state, word) => {
    for (let k = 0; k < all.length; k++) if (all[k]!.isDead(state[k]!)) return 'skip';
    if (requireAny && any.every((d, k) => d.isDead(state[all.length + k]!))) return 'skip';
    const allAccept = all.every((d, k) => d.accepts(state[k]!));
    const anyAccepts = !requireAny || any.some((d, k) => d.accepts(state[all.length + k]!));
    if (allAccept && anyAccepts) {
      witness = word();
      return 'stop';
    }
    return 'expand';
  });
  return witness;
}

/** Do the two patterns match at least one common string? (exact) */
export function globsIntersect(a: string, b: string, options: GlobOptions = {}): boolean {
  return findCommon([a, b], options) !== undefined;
}

const intersections = new Map<string, Costed<boolean>>();

/**
 * globsIntersect, remembered across calls (the same guardrails are compared again and again).
 */
export function patternsMeet(a: string, b: string, options: GlobOptions = {}): boolean {
  const ci = options.caseInsensitive ?? false;
  const [x, y] = [fold(a, ci), fold(b, ci)].sort();
  const key = JSON.stringify([x, y]);
  const known = intersections.get(key);
  if (known !== undefined) return charged(key, known);
  if (intersections.size >= DFA_CACHE_LIMIT * 4) intersections.clear();
  const meet = costed(key, () => findCommon([x!, y!]) !== undefined);
  intersections.set(key, meet);
  return meet.value;
}

const actionsMeet = (a: string, b: string): boolean => patternsMeet(a, b, { caseInsensitive: true });

/** One guardrail statement seen as a rectangle: any of its actions on any of its resources. */
export interface Rectangle {
  actions: readonly string[];
  resources: readonly string[];
}

export interface OutsideWitness {
  /** a concrete action matched by the requested action pattern (lower case unless literal) */
  action: string;
  /** a concrete resource matched by the requested resource pattern that no statement in `statements` allows */
  resource: string;
  /** indexes of the rectangles whose actions match `action` (empty: no rectangle allows the action at all) */
  statements: number[];
}

/**
 * Is the pair (action pattern, resource pattern) inside the union of the rectangles? Exact:
 * for every set S of rectangles whose action patterns all match some concrete action x of the
 * requested action pattern (and only those), the requested resource pattern must be inside the
 * union of the resources of S. Actions are case-insensitive, resources case-sensitive.
 *
 * With `onlyActions`, only the requested actions matched by one of those patterns must be inside
 * (the rest is ignored): used to check the escalation part of a request on its own.
 * Returns a witness when not inside, `undefined` when inside.
 */
export function findOutsideRectangles(
  action: string,
  resource: string,
  rectangles: readonly Rectangle[],
  options: { onlyActions?: readonly string[] } = {},
): OutsideWitness | undefined {
  const { filteredOut, classes, fresh } = actionClasses(action, rectangles, options.onlyActions);
  if (filteredOut) return undefined;
  const filtered = options.onlyActions !== undefined;
  // fast path: the request with its wildcards filled in is often already outside
  const x0 = instantiate(action, fresh);
  const passes0 =
    !filtered || options.onlyActions!.some((p) => globMatches(p, x0, { caseInsensitive: true }));
  if (passes0) {
    const r0 = instantiate(resource, freshChar(new Set(Array.from(resource))));
    const matching = rectangles
      .map((r, i) => (r.actions.some((a) => globMatches(a, x0, { caseInsensitive: true })) ? i : -1))
      .filter((i) => i >= 0);
    if (!matching.some((i) => rectangles[i]!.resources.some((p) => globMatches(p, r0)))) {
      return { action: hasWildcard(action) ? x0.toLowerCase() : action, resource: r0, statements: matching };
    }
  }
  for (const { action: x, statements } of classes) {
    const cover = statements.flatMap((i) => rectangles[i]!.resources);
    const r = findUncovered(resource, cover);
    if (r !== undefined) {
      const literal = !hasWildcard(action) ? action : x;
      return { action: literal, resource: r, statements };
    }
  }
  return undefined;
}

interface ActionClasses {
  /** `onlyActions` was given and none of it meets the action: nothing to check */
  filteredOut: boolean;
  /** each distinct set S of rectangles whose actions match some action of the pattern, with the shortest such action */
  classes: { action: string; statements: number[] }[];
  /** a character in none of the patterns involved (for the fast path's witness) */
  fresh: string;
}

/** actionClasses' answers per rectangles list (the builder checks every pair against the same guardrails) */
const classesByRectangles = new WeakMap<readonly Rectangle[], Map<string, ActionClasses>>();

/**
 * The classes of the requested action pattern against the rectangles' action patterns: they
 * depend on the action alone, never on the resource, so they are computed once per action.
 */
function actionClasses(
  action: string,
  rectangles: readonly Rectangle[],
  onlyActions: readonly string[] | undefined,
): ActionClasses {
  let memo = classesByRectangles.get(rectangles);
  if (!memo) {
    memo = new Map();
    classesByRectangles.set(rectangles, memo);
  }
  const key = `${action.toLowerCase()}\u0000${onlyActions?.join('\u0000') ?? ''}\u0000${onlyActions === undefined}`;
  const known = memo.get(key);
  if (known) return known;
  const computed = computeActionClasses(action, rectangles, onlyActions);
  memo.set(key, computed);
  return computed;
}

function computeActionClasses(
  action: string,
  rectangles: readonly Rectangle[],
  onlyActions: readonly string[] | undefined,
): ActionClasses {
  const folded = action.toLowerCase();
  const requested = dfaFor(folded);
  // only patterns that share an action with the request can matter: leaving the others out of
  // the product keeps the search small without changing its answer
  const meets = (p: string) => actionsMeet(folded, p.toLowerCase());
  const filtered = onlyActions !== undefined;
  const filters = (onlyActions ?? []).filter(meets).map((p) => dfaFor(p.toLowerCase()));
  if (filtered && filters.length === 0) return { filteredOut: true, classes: [], fresh: '' };
  const guard: LazyDfa[] = [];
  const owner: number[] = [];
  rectangles.forEach((r, i) => {
    for (const a of new Set(r.actions.map((x) => x.toLowerCase()))) {
      if (!meets(a)) continue;
      guard.push(dfaFor(a));
      owner.push(i);
    }
  });
  const dfas = [requested, ...filters, ...guard];
  const offset = 1 + filters.length;
  const { alphabet, fresh } = alphabetOf(dfas);
  /** each distinct set S of matching rectangles, with the shortest action reaching it */
  const classes = new Map<string, { action: string; statements: number[] }>();
  explore(dfas, alphabet, (state, word) => {
    if (requested.isDead(state[0]!)) return 'skip';
    if (filtered && filters.every((d, k) => d.isDead(state[1 + k]!))) return 'skip';
    const passes = !filtered || filters.some((d, k) => d.accepts(state[1 + k]!));
    if (requested.accepts(state[0]!) && passes) {
      const matched = new Set<number>();
      for (let k = 0; k < guard.length; k++)
        if (guard[k]!.accepts(state[offset + k]!)) matched.add(owner[k]!);
      const statements = [...matched].sort((a, b) => a - b);
      const key = statements.join(',');
      if (!classes.has(key)) classes.set(key, { action: word(), statements });
    }
    return 'expand';
  });
  return { filteredOut: false, classes: [...classes.values()], fresh };
}
