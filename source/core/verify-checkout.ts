import {spawnsEndWhole} from '../process/containment.js';
import type {EngineContext} from './context.js';

/**
 * Where verify and base's test counts run: a reused checkout, moved to `sha`
 * and proven to hold exactly its tree (git/verify-checkouts.ts), where
 * nothing a previous use started can still be writing: every check runs in a
 * box with its own pid namespace (sandboxed), or in a cgroup or pid namespace
 * per spawn. Otherwise (process group and run marker only) a fresh checkout
 * each time, removed after, as before.
 */
export function inVerifyCheckout<T>(ctx: EngineContext, name: string, sha: string, fn: (checkout: string) => Promise<T>): Promise<T> {
	const reusable = Boolean(ctx.sandbox?.hide?.length) || spawnsEndWhole(ctx.run.id);
	return reusable ? ctx.repo.withVerifyCheckout(sha, fn) : ctx.repo.withDetachedCheckout(name, sha, fn);
}
