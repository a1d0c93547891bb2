// A deadline for one Kubernetes API call: client-node's per-call options with a middleware that
// aborts the request (and its socket) once `ms` have passed, so a slow apiserver cannot hold a caller
// (an admission answer, an Event queue) for longer than its budget.
import { Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import { noAnswerMessage } from './admission-budget.ts';

export class ApiTimeoutError extends Error {}

/** Per-call options for a client-node API method: abort after `ms`. */
export function deadline(ms: number): ConfigurationOptions {
  return {
    middleware: [{
      pre: (context: RequestContext) => {
        context.setSignal(AbortSignal.timeout(ms));
        return new Observable(Promise.resolve(context));
      },
      post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
    }],
    middlewareMergeStrategy: 'append',
  };
}

/** Runs `call` with a deadline of `ms`; an abort becomes an ApiTimeoutError naming `what`. */
export async function withDeadline<T>(what: string, ms: number, call: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
  try {
    return await call(deadline(ms));
  } catch (error) {
    if (isAbort(error)) throw new ApiTimeoutError(noAnswerMessage(what, ms), { cause: error });
    throw error;
  }
}

function isAbort(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.constructor.name === 'AbortError') return true;
  }
  return false;
}
