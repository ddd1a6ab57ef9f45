export type { AgentActions, NewCustomer, NewInvoice, NewInvoiceLine, NewProduct } from './actions';
export { agentUserSql, AGENT_USER_STAMP, DEFAULT_AGENT_LOGIN, isAgentUserFootprint, newAgentApiKey, type AgentUserOptions } from './agent-user';
export { ApiAgent } from './api-agent';
export { DolibarrRefusal } from './effects/context';
export { SqlAgent, type SqlAgentOptions } from './sql-agent';
