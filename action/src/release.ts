import type { ApiClient } from '../../cli/api-client.ts';
import type { RequestView } from '../../cli/api-types.ts';

/** POST /requests/{id}/release through the CLI's client. */
export function releaseRequest(client: ApiClient, id: string): Promise<RequestView> {
  return (
    client as unknown as { call<T>(m: string, p: string, o: { retry: boolean }): Promise<T> }
  ).call<RequestView>('POST', `/requests/${encodeURIComponent(id)}/release`, { retry: false });
}
