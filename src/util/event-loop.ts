/**
 * Let timers, I/O and signal handlers run. A training epoch is synchronous work chained by resolved
 * promises, which never reach the event loop: under the tsx CLI (npm start, npm run reproduce) a SIGTERM or
 * Ctrl-C is handled in JavaScript, so without a turn of the loop it waits for the whole run to end; an
 * AbortSignal fired by a timer, or a notebook's interrupt, waits likewise.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
