/**
 * Built once per Lambda container, on first use (this module imports nothing, so any
 * handler's bundle takes it without the AWS wiring).
 *
 * `build` run once, on the first call, and shared by concurrent callers. A build that fails
 * (a transient Secrets Manager or config read error at cold start) is not kept: the next call
 * builds again, so one bad moment never fails every later invocation of the container.
 */
export function lazily<T>(build: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    if (!current) {
      const building = build();
      current = building;
      building.catch(() => {
        if (current === building) current = undefined;
      });
    }
    return current;
  };
}
