/**
 * Milliseconds on a monotonic clock, for every duration and deadline. The wall clock (Date.now)
 * is stepped by NTP, an admin or a resumed VM: a deadline computed from it then comes an hour
 * late (tailing pauses, a lost lease still looks valid) or at once (a standby takes a lease
 * that is still held). The origin is arbitrary (process start): compare readings only with each
 * other. Wall time (Date.now) stays where a time of day is the meaning: event and record
 * timestamps, log fields, Lease fields, the loaded-at time of the configuration.
 */
export function monotonicMs(): number {
  return performance.now();
}
