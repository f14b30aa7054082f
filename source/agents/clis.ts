// Every coding-agent CLI proofloop drives: one line each (a new CLI is its own file plus its line here).
// init prefers them in name order when several are installed.
export {claude} from './claude.js';
export {codex} from './codex.js';
export {copilot} from './copilot.js';
export {gemini} from './gemini.js';
export {opencode} from './opencode.js';
