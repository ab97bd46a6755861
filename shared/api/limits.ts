/**
 * Bounds of the HTTP API itself, defined once: the handlers, the local server, the OpenAPI
 * document and the CLI read them from here. (Bounds on what people write live with the domain:
 * shared/domain/limits.ts.)
 */

/** SPEC.md: a body over 64 KiB gets 413 (the local server enforces the same bound on the socket). */
export const MAX_BODY_BYTES = 64 * 1024;
/** `GET /requests/{id}?waitSeconds=N` holds the answer for at most this long. */
export const MAX_WAIT_SECONDS = 20;
/** `GET /requests?limit=N`: page size bounds and default. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;
/** The Idempotency-Key header of `POST /requests`: visible ASCII, at most this long. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 128;
/** `GET /requests?cursor=`: longest cursor accepted. */
export const MAX_CURSOR_CHARS = 2048;
