// The git layer: ticket worktrees, the compare-and-swap merge into base, and
// ancestry checks. Nothing here knows about tickets beyond their ids.
export {GitError} from './errors.js';
export {openRepo} from './open-repo.js';
export {Repo} from './repo.js';
export {runGit, type GitResult, type GitOptions} from './run.js';
export type {Prepared} from './prepare.js';
export type {MergeRequest, MergeResult} from './merge.js';
export type {WorktreeInfo} from './worktrees.js';
export type {KeptCheckout} from './sync.js';
export type {DirtyCheckout} from './dirty-checkouts.js';
export {mergeMessage, marksMerge} from './trailers.js';
