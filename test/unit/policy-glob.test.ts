import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalGlob,
  findCommon,
  findOutsideRectangles,
  findUncovered,
  GlobTooComplexError,
  globMatches,
  globsIntersect,
  isCovered,
  type Rectangle,
} from '../../shared/domain/policy/glob.ts';

const T = 'arn:aws:dynamodb:us-east-1:123456789012:table/';
const CI = { caseInsensitive: true };

describe('globMatches: IAM wildcards', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything:at/all', true],
    ['a*', 'a', true],
    ['a*b', 'ab', true],
    ['a*b', 'axxb', true],
    ['a*b', 'axxbc', false],
    ['a?', 'a', false],
    ['a?', 'ab', true],
    ['a?', 'abc', false],
    ['?*', '', false],
    ['*?', 'x', true],
    ['a*a*a', 'aaa', true],
    ['a*a*a', 'aa', false],
    [`${T}orders-it-*`, `${T}orders-it-1`, true],
    [`${T}orders-it-*`, `${T}orders-x`, false],
    [`${T}orders-it-*`, `${T}ORDERS-IT-1`, false],
  ])('%s against %s: %s (case-sensitive)', (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  it('compares actions case-insensitively when asked', () => {
    expect(globMatches('dynamodb:get*', 'dynamodb:GetItem', CI)).toBe(true);
    expect(globMatches('DynamoDB:GetItem', 'dynamodb:getitem', CI)).toBe(true);
    expect(globMatches('dynamodb:get*', 'dynamodb:GetItem')).toBe(false);
  });
});

describe('canonicalGlob', () => {
  it.each([
    ['a**b', 'a*b'],
    ['a*?b', 'a?*b'],
    ['a?*?*b', 'a??*b'],
    ['a???b', 'a???b'],
    ['*', '*'],
    ['plain', 'plain'],
  ])('%s is spelled %s', (pattern, canonical) => {
    expect(canonicalGlob(pattern)).toBe(canonical);
  });
});

describe('findUncovered: exact containment of a pattern in a union of patterns', () => {
  const cases: [string, string[], boolean, { caseInsensitive?: boolean }?][] = [
    // [pattern, cover, contained, options]
    [`${T}orders-*`, [`${T}orders-it-*`], false],
    [`${T}orders-it-*`, [`${T}orders-*`], true],
    [`${T}orders-it-1`, [`${T}orders-it-*`], true],
    ['dynamodb:Get*', ['dynamodb:GetItem'], false, CI],
    ['dynamodb:GetItem', ['dynamodb:get*'], true, CI],
    ['dynamodb:GetItem', ['dynamodb:get*'], false], // not when case matters
    ['a*', ['a?*', 'a'], true],
    ['a*', ['a?*'], false],
    // the trap: *? and ?* are the same language
    ['a*?', ['a?*'], true],
    ['a?*', ['a*?'], true],
    ['x*?*y', ['x?*y'], true],
    ['*', ['*'], true],
    ['*', ['?*'], false],
    ['*', ['', '?*'], true],
    ['a*b', ['a*', '*b'], true],
    ['*b', ['a*b'], false],
    ['a?c', ['abc', 'a?c'], true],
    ['a?c', ['abc', 'aac'], false],
    ['ab*', ['a*b*'], true],
    ['a*b*', ['ab*'], false],
    ['abc', [], false],
    ['', [''], true],
  ];
  it.each(cases)('%s inside %j: %s', (pattern, cover, contained, options) => {
    const witness = findUncovered(pattern, cover, options);
    expect(witness === undefined).toBe(contained);
    expect(isCovered(pattern, cover, options)).toBe(contained);
    if (witness !== undefined) {
      // a witness is a concrete string of the pattern that no cover pattern matches
      expect(globMatches(pattern, witness, options)).toBe(true);
      for (const c of cover) expect(globMatches(c, witness, options)).toBe(false);
    }
  });

  it('gives a readable example when it can', () => {
    expect(findUncovered(`${T}orders-*`, [`${T}orders-it-*`])).toBe(`${T}orders-x`);
  });

  it('gives up with GlobTooComplexError instead of running away', () => {
    // "the 17th character from the end is an a" needs 2^17 automaton states: over the budget
    const pattern = `*a${'?'.repeat(16)}`;
    expect(() => findUncovered(pattern, [pattern])).toThrow(GlobTooComplexError);
  });
});

/** Every string over `alphabet` of length at most `max`. */
function* strings(alphabet: string, max: number): Generator<string> {
  let layer = [''];
  for (let n = 0; n <= max; n++) {
    yield* layer;
    layer = layer.flatMap((s) => [...alphabet].map((c) => s + c));
  }
}

const SHORT = [...strings('abc', 7)];
const SHORTER = [...strings('abc', 4)];

describe('findUncovered agrees with brute force on small alphabets', () => {
  const pattern = fc.stringMatching(/^[ab*?]{0,6}$/);
  it('a witness is valid, and "contained" means no short string says otherwise', () => {
    fc.assert(
      fc.property(pattern, fc.array(pattern, { maxLength: 3 }), (p, cover) => {
        const witness = findUncovered(p, cover);
        if (witness !== undefined) {
          expect(globMatches(p, witness)).toBe(true);
          expect(cover.some((c) => globMatches(c, witness))).toBe(false);
        } else {
          // bounded check: no string over {a, b, c} (c stands for any other character) up to 7
          // characters is matched by the pattern and missed by the cover
          for (const s of SHORT) {
            if (globMatches(p, s)) expect(cover.some((c) => globMatches(c, s))).toBe(true);
          }
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('findCommon / globsIntersect', () => {
  it.each([
    ['iam:*', 'iam:PassRole', true],
    ['sts:Get*', 'sts:*Token', true],
    ['s3:*', 'iam:*', false],
    ['a*b', 'b*a', false],
    ['a*', '*a', true],
  ])('%s and %s meet: %s', (a, b, meet) => {
    expect(globsIntersect(a, b, CI)).toBe(meet);
  });

  it('finds a string matched by all patterns and one of anyOf', () => {
    const found = findCommon(['sts:*'], { caseInsensitive: true, anyOf: ['iam:*', 'sts:AssumeRole*'] });
    expect(found).toBeDefined();
    expect(globMatches('sts:AssumeRole*', found!, CI)).toBe(true);
    expect(
      findCommon(['s3:*'], { caseInsensitive: true, anyOf: ['iam:*', 'sts:AssumeRole*'] }),
    ).toBeUndefined();
  });
});

describe('findOutsideRectangles: a requested (action, resource) pair inside a union of statements', () => {
  const orders: Rectangle[] = [
    { actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [`${T}orders-it-*`] },
    { actions: ['dynamodb:Get*'], resources: [`${T}shared`] },
    { actions: ['dynamodb:GetItem'], resources: [`${T}orders-x`] },
  ];
  const cases: [string, string, boolean][] = [
    ['dynamodb:GetItem', `${T}orders-it-1`, true],
    ['dynamodb:getitem', `${T}orders-it-*`, true],
    ['dynamodb:GetItem', `${T}orders-*`, false],
    // GetItem on orders-x comes from the third statement, orders-it-* from the first: only the union covers
    ['dynamodb:GetItem', `${T}orders-?*`, false],
    ['dynamodb:Query', `${T}orders-x`, false],
    ['dynamodb:Get*', `${T}shared`, true],
    ['dynamodb:Get*', `${T}orders-it-1`, false],
    ['dynamodb:*', `${T}shared`, false],
    ['s3:GetObject', `${T}shared`, false],
  ];
  it.each(cases)('%s on %s inside: %s', (action, resource, inside) => {
    const found = findOutsideRectangles(action, resource, orders);
    expect(found === undefined).toBe(inside);
    if (found) {
      expect(globMatches(action, found.action, CI)).toBe(true);
      expect(globMatches(resource, found.resource)).toBe(true);
      // no statement allows the example pair
      const allowed = orders.some(
        (r) =>
          r.actions.some((a) => globMatches(a, found.action, CI)) &&
          r.resources.some((p) => globMatches(p, found.resource)),
      );
      expect(allowed).toBe(false);
    }
  });

  it('needs the union of statements for one action, and finds the gap between them', () => {
    const split: Rectangle[] = [
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/a*'] },
      { actions: ['s3:Get*'], resources: ['arn:aws:s3:::b/?*'] },
    ];
    expect(findOutsideRectangles('s3:GetObject', 'arn:aws:s3:::b/*', split)).toMatchObject({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::b/',
    });
    expect(findOutsideRectangles('s3:GetObject', 'arn:aws:s3:::b/?*', split)).toBeUndefined();
    // s3:GetObject gets b/a* from the first statement, s3:GetObjectAcl (say) from the second
    expect(findOutsideRectangles('s3:GetObject*', 'arn:aws:s3:::b/a*', split)).toBeUndefined();
    // any other s3:G... action has only the second statement, which misses b/ followed by nothing
    expect(findOutsideRectangles('s3:Get*', 'arn:aws:s3:::b/', split)).toMatchObject({
      resource: 'arn:aws:s3:::b/',
      statements: [1],
    });
  });

  it('with onlyActions, checks only the part of the request those patterns match', () => {
    const literal: Rectangle[] = [{ actions: ['iam:PassRole'], resources: ['arn:aws:iam::1:role/app-*'] }];
    const esc = ['iam:*'];
    expect(
      findOutsideRectangles('iam:PassRole', 'arn:aws:iam::1:role/app-1', literal, { onlyActions: esc }),
    ).toBe(undefined);
    expect(
      findOutsideRectangles('iam:P*', 'arn:aws:iam::1:role/app-1', literal, { onlyActions: esc }),
    ).toMatchObject({ statements: [] });
    // s3 actions are not part of the escalation set: nothing to check
    expect(findOutsideRectangles('s3:*', '*', literal, { onlyActions: esc })).toBeUndefined();
  });

  it('agrees with brute force on small alphabets', () => {
    const pat = fc.stringMatching(/^[ab*?]{0,4}$/);
    const rect = fc.record({
      actions: fc.array(pat, { minLength: 1, maxLength: 2 }),
      resources: fc.array(pat, { minLength: 1, maxLength: 2 }),
    });
    fc.assert(
      fc.property(pat, pat, fc.array(rect, { maxLength: 3 }), (action, resource, rects) => {
        const found = findOutsideRectangles(action, resource, rects);
        const allowed = (x: string, r: string) =>
          rects.some(
            (g) => g.actions.some((a) => globMatches(a, x, CI)) && g.resources.some((p) => globMatches(p, r)),
          );
        if (found) {
          expect(globMatches(action, found.action, CI)).toBe(true);
          expect(globMatches(resource, found.resource)).toBe(true);
          expect(allowed(found.action, found.resource)).toBe(false);
        } else {
          const xs = SHORTER.filter((s) => globMatches(action, s));
          const rs = SHORTER.filter((s) => globMatches(resource, s));
          for (const x of xs) for (const r of rs) expect(allowed(x, r)).toBe(true);
        }
      }),
      { numRuns: 80 },
    );
  });
});
