import type { z } from 'zod';

/** `profiles.orders-it.allow[0].actions` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** One line per problem, each naming the field: `field: what is wrong`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = formatPath(issue.path);
      return issue.keys
        .map((key) => `${where === '' ? key : `${where}.${key}`}: unknown field "${key}"`)
        .join('; ');
    }
    const where = formatPath(issue.path);
    return `${where === '' ? '(root)' : where}: ${issue.message}`;
  });
}
