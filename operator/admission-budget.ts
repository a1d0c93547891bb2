// How long the webhook waits for any API answer while it holds an admission, well inside the chart's
// timeoutSeconds (5): the one source of this number, for the webhook's thread and the operator's.
export const ADMISSION_API_TIMEOUT_MS = 2000;

/** The error text of a call that got no answer in time. */
export function noAnswerMessage(what: string, ms: number): string {
  return `${what}: no answer from the Kubernetes API within ${ms} ms`;
}
