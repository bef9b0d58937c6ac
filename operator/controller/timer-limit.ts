// Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer delay is silently
// turned into 1 ms, which would make a 90-day rotation schedule a hot loop. Waking
// early is harmless here: every wake-up re-reads the world and schedules again.
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
