/**
 * A delay setTimeout can wait: past 2^31-1 ms (about 24.8 days) it fires at
 * once, so a timeout of "a month" would end an agent immediately.
 */
export const timerDelay = (ms: number): number => Math.min(Math.max(ms, 0), 2 ** 31 - 1);
