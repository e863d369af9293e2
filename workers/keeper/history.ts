import type { LegProof } from "../triggers/kind";

/**
 * How the keeper splits a long proof: what `fire`'s `check` walks itself, and how many `advance`
 * transactions a product's legs need first. The searches themselves are each kind's
 * (workers/triggers/), over the feed history of ./feedHistory.ts.
 */

/** Rounds the keeper leaves to `check` inside `fire` (the contracts walk up to 1,000). */
export const CHECK_BUDGET = 900;
/** Rounds one `advance` transaction walks (≈ 4.7k gas a round through a proxy: ≈ 7M, well under 30M). */
export const ADVANCE_ROUNDS = 1_500;

/**
 * How many `advance` transactions the legs need before `fire` can finish the walk: the rounds
 * left after each leg's stored progress (`cursors`, null when not started), beyond CHECK_BUDGET.
 */
export function advancesNeeded(legs: LegProof[], cursors: (bigint | null)[]): number {
  let most = 0;
  legs.forEach((l, k) => {
    if (l.walk.length === 0) return;
    const c = cursors[k] ?? null;
    const done = c === null ? 0 : Math.max(0, l.walk.indexOf(c));
    const left = l.walk.length - 1 - done;
    if (left > CHECK_BUDGET) most = Math.max(most, Math.ceil((left - CHECK_BUDGET) / ADVANCE_ROUNDS));
  });
  return most;
}
