/** Defaults of the API's size limits that more than one module needs (a leaf module: no imports, so no import cycles). */

/** Largest POST /v1/nodes/:id/results body by default (MAX_RESULT_BYTES). */
export const DEFAULT_MAX_RESULT_BYTES = 8 << 20;

/**
 * Largest PUT /v1/payloads/:sha256 body by default (MAX_PAYLOAD_BYTES): 100 MiB, the request
 * body limit of Workers on most plans, so the limit that answers is this one, with its 413.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 100 << 20;

/** Largest POST /v1/jobs body by default (MAX_JOB_INPUT_BYTES). */
export const DEFAULT_MAX_JOB_INPUT_BYTES = 1 << 20;
