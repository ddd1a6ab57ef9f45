export { fastReset, type FastResetDone, type FastResetFallback, type FastResetOptions, type FastResetResult } from './fast-reset';
export { HARNESS_TRIGGER_PREFIX, TRACK_TABLES, TRIGGERS, type TrackingOptions } from './options';
export { newRunToken, trackingSql } from './tracking-sql';
export { BaselineVerifier, fingerprintSandbox, verifyAgainstBaseline, type Verification, type VerifyOptions } from './verify';
export { trackedChangedTables } from './changed-tables';
export { FastResetVerificationError, ScenarioReset, type ScenarioResetOptions, type ScenarioResetOutcome } from './scenario-reset';
