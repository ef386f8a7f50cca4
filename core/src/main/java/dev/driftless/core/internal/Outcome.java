package dev.driftless.core.internal;

/** How an event the runner received was settled. */
enum Outcome {
  APPLIED,
  STALE,
  DEAD_LETTERED,
  COALESCED,
  /** A replayed key's write failed; the replay updates the letter instead of storing a new one. */
  REPLAY_FAILED
}
