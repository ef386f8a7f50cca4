package dev.driftless.core;

/** What one reconciliation run counts, for its {@link ReconciliationReport}. One run's thread. */
final class RunCounters {
  long sourceRows;
  long indexDocuments;
  long summaryRequests;
  long rangesCompared;
  long rangesMismatched;
  long sourceListed;
  long indexListed;
  long missing;
  long stale;
  long phantom;
  long changedDuringComparison;
  long repaired;
  long repairFailed;
}
