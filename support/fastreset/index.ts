export { fastReset, type FastResetDone, type FastResetFallback, type FastResetOptions, type FastResetResult } from './fast-reset';
export { HARNESS_TRIGGER_PREFIX, TRACK_TABLES, TRIGGERS, type TrackingOptions } from './options';
export { newRunToken, trackingSql } from './tracking-sql';
export { fingerprintInParallel, verifyAgainstBaseline, type VerifyOptions } from './verify';
