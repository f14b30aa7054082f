export {parseFrontMatter} from '../../oracle/oracle.mjs';
export type {FrontMatterResult, FrontMatterValue} from '../../oracle/oracle.mjs';
export {writeFileAtomic} from './atomic-write.js';
export {FileTracker} from './files.js';
export {serializeValue, setFrontMatterFields} from './front-matter-write.js';
export {cycleIfAdded, findCycle, findPath, type DependencyEdges} from './graph.js';
export * from './ticket.js';
export * from './tracker.js';
export {parseTicket, validateTickets, type TicketFile} from './validate.js';
