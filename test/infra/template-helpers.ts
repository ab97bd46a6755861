/** Reading synthesized CloudFormation templates in the infra tests. */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
}
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, unknown>;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

interface PolicyDocument {
  Statement: Statement[];
}

/** Every policy statement of the template: identity policies, trust policies and resource policies. */
export function allStatements(template: CfnTemplate): { resource: string; statement: Statement }[] {
  const found: { resource: string; statement: Statement }[] = [];
  const add = (resource: string, document: unknown) => {
    for (const statement of (document as PolicyDocument | undefined)?.Statement ?? [])
      found.push({ resource, statement });
  };
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    const p = r.Properties ?? {};
    add(id, p.PolicyDocument);
    add(id, p.KeyPolicy);
    add(id, p.AssumeRolePolicyDocument);
    for (const inline of (p.Policies as { PolicyDocument: unknown }[] | undefined) ?? [])
      add(id, inline.PolicyDocument);
  }
  return found;
}

/** The logical ids a value refers to (Ref, Fn::GetAtt, ${X} of Fn::Sub). */
function references(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) references(item, into);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt' && Array.isArray(inner)) into.add(String(inner[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? String(inner[0]) : String(inner);
        for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}/g)) into.add(m[1]!);
        if (Array.isArray(inner)) references(inner[1], into);
      } else references(inner, into);
    }
  }
  return into;
}

/** A dependency cycle between the template's resources (as CloudFormation would refuse it), if any. */
export function findCycle(template: CfnTemplate): string[] | undefined {
  const resources = template.Resources ?? {};
  const edges = new Map<string, string[]>();
  for (const [id, r] of Object.entries(resources)) {
    const deps = references(r.Properties ?? {}, new Set());
    for (const d of asArray(r.DependsOn)) deps.add(d);
    edges.set(
      id,
      [...deps].filter((d) => d in resources),
    );
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}
