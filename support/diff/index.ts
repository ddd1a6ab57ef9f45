export { diffSandbox, DEFAULT_IGNORED_COLUMNS, DEFAULT_SECRET_COLUMNS, type DiffOptions, type KnownChange } from './diff-sandbox';
export { renderChangeSet, changeSetToJson } from './render';
export * from './change-set';
