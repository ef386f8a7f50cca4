package dev.driftless.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one reconciliation run compared, found, repaired, and what it cost; from {@link
 * Reconciler#run()}.
 *
 * <p>Made by the {@link Reconciler} only. A value: equal when every accessor answers equal. Later
 * versions may add accessors (a class rather than a record, so that adding one breaks no user's
 * code); do not rely on {@link #toString()}'s format ({@link #toJson()} is stable: it only gains
 * members).
 */
public final class ReconciliationReport {
  private final String sourceCollection;
  private final String indexCollection;
  private final Instant startedAt;
  private final Duration duration;
  private final long sourceRows;
  private final long indexDocuments;
  private final long summaryRequests;
  private final long bucketRangesCompared;
  private final long bucketRangesMismatched;
  private final long sourceRowsListed;
  private final long indexDocumentsListed;
  private final long bytesRead;
  private final long missing;
  private final long stale;
  private final long phantom;
  private final long changedDuringComparison;
  private final long repaired;
  private final long repairFailed;
  private final List<String> sampleKeys;

  ReconciliationReport(
      String sourceCollection,
      String indexCollection,
      Instant startedAt,
      Duration duration,
      long sourceRows,
      long indexDocuments,
      long summaryRequests,
      long bucketRangesCompared,
      long bucketRangesMismatched,
      long sourceRowsListed,
      long indexDocumentsListed,
      long bytesRead,
      long missing,
      long stale,
      long phantom,
      long changedDuringComparison,
      long repaired,
      long repairFailed,
      List<String> sampleKeys) {
    this.sourceCollection = Objects.requireNonNull(sourceCollection, "sourceCollection");
    this.indexCollection = Objects.requireNonNull(indexCollection, "indexCollection");
    this.startedAt = Objects.requireNonNull(startedAt, "startedAt");
    this.duration = Objects.requireNonNull(duration, "duration");
    this.sourceRows = sourceRows;
    this.indexDocuments = indexDocuments;
    this.summaryRequests = summaryRequests;
    this.bucketRangesCompared = bucketRangesCompared;
    this.bucketRangesMismatched = bucketRangesMismatched;
    this.sourceRowsListed = sourceRowsListed;
    this.indexDocumentsListed = indexDocumentsListed;
    this.bytesRead = bytesRead;
    this.missing = missing;
    this.stale = stale;
    this.phantom = phantom;
    this.changedDuringComparison = changedDuringComparison;
    this.repaired = repaired;
    this.repairFailed = repairFailed;
    this.sampleKeys = List.copyOf(sampleKeys);
  }

  /** The source's collection. */
  public String sourceCollection() {
    return sourceCollection;
  }

  /** The index's collection. */
  public String indexCollection() {
    return indexCollection;
  }

  /** When the run started. */
  public Instant startedAt() {
    return startedAt;
  }

  /** How long it took. */
  public Duration duration() {
    return duration;
  }

  /** Rows the source holds (from the top-level summaries). */
  public long sourceRows() {
    return sourceRows;
  }

  /** Documents the index holds (from the top-level summaries). */
  public long indexDocuments() {
    return indexDocuments;
  }

  /** Summary requests made to the two sides together. */
  public long summaryRequests() {
    return summaryRequests;
  }

  /** Bucket ranges whose summaries were compared. */
  public long bucketRangesCompared() {
    return bucketRangesCompared;
  }

  /** Of those, the ones whose summaries differed. */
  public long bucketRangesMismatched() {
    return bucketRangesMismatched;
  }

  /** Rows read key by key on the source side: listed, and re-read to verify. */
  public long sourceRowsListed() {
    return sourceRowsListed;
  }

  /** Documents read key by key on the index side: listed, and re-read. */
  public long indexDocumentsListed() {
    return indexDocumentsListed;
  }

  /** Bytes the two readers reported moving, or -1 when a reader does not count. */
  public long bytesRead() {
    return bytesRead;
  }

  /** Keys in the source but not in the index. */
  public long missing() {
    return missing;
  }

  /** Keys whose index fingerprint differs from the source's. */
  public long stale() {
    return stale;
  }

  /** Keys in the index but not in the source. */
  public long phantom() {
    return phantom;
  }

  /** Keys that differed at first but matched when re-verified. */
  public long changedDuringComparison() {
    return changedDuringComparison;
  }

  /** Keys repaired through the pipeline (written, or found already current). */
  public long repaired() {
    return repaired;
  }

  /** Keys whose repair failed. */
  public long repairFailed() {
    return repairFailed;
  }

  /** Up to 20 differing keys, for a person to look at. */
  public List<String> sampleKeys() {
    return sampleKeys;
  }

  /** Differences found and still differing when re-verified. */
  public long differences() {
    return missing + stale + phantom;
  }

  /** Whether the index matched the source (nothing to repair). */
  public boolean inSync() {
    return differences() == 0;
  }

  /** A readable multi-line summary. */
  public String summary() {
    return String.format(
        "reconciliation %s -> %s: %s in %d ms%n"
            + "  compared %d rows with %d documents (%d bucket ranges, %d mismatched,"
            + " %d summary requests)%n"
            + "  listed %d rows and %d documents, %s read%n"
            + "  found missing=%d stale=%d phantom=%d (changed during comparison: %d)%n"
            + "  repaired %d, failed %d",
        sourceCollection,
        indexCollection,
        inSync() ? "in sync" : "drift found",
        duration.toMillis(),
        sourceRows,
        indexDocuments,
        bucketRangesCompared,
        bucketRangesMismatched,
        summaryRequests,
        sourceRowsListed,
        indexDocumentsListed,
        bytesRead < 0 ? "unknown bytes" : bytesRead + " bytes",
        missing,
        stale,
        phantom,
        changedDuringComparison,
        repaired,
        repairFailed);
  }

  /** The report as a JSON object. */
  public String toJson() {
    Map<String, @Nullable Object> json = new LinkedHashMap<>();
    json.put("sourceCollection", sourceCollection);
    json.put("indexCollection", indexCollection);
    json.put("startedAt", startedAt.toString());
    json.put("durationMillis", duration.toMillis());
    json.put("sourceRows", sourceRows);
    json.put("indexDocuments", indexDocuments);
    json.put("summaryRequests", summaryRequests);
    json.put("bucketRangesCompared", bucketRangesCompared);
    json.put("bucketRangesMismatched", bucketRangesMismatched);
    json.put("sourceRowsListed", sourceRowsListed);
    json.put("indexDocumentsListed", indexDocumentsListed);
    json.put("bytesRead", bytesRead);
    json.put("missing", missing);
    json.put("stale", stale);
    json.put("phantom", phantom);
    json.put("changedDuringComparison", changedDuringComparison);
    json.put("repaired", repaired);
    json.put("repairFailed", repairFailed);
    json.put("sampleKeys", sampleKeys);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      DocumentJson.writeValue(json, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ReconciliationReport r
        && sourceCollection.equals(r.sourceCollection)
        && indexCollection.equals(r.indexCollection)
        && startedAt.equals(r.startedAt)
        && duration.equals(r.duration)
        && sourceRows == r.sourceRows
        && indexDocuments == r.indexDocuments
        && summaryRequests == r.summaryRequests
        && bucketRangesCompared == r.bucketRangesCompared
        && bucketRangesMismatched == r.bucketRangesMismatched
        && sourceRowsListed == r.sourceRowsListed
        && indexDocumentsListed == r.indexDocumentsListed
        && bytesRead == r.bytesRead
        && missing == r.missing
        && stale == r.stale
        && phantom == r.phantom
        && changedDuringComparison == r.changedDuringComparison
        && repaired == r.repaired
        && repairFailed == r.repairFailed
        && sampleKeys.equals(r.sampleKeys);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        sourceCollection,
        indexCollection,
        startedAt,
        duration,
        sourceRows,
        indexDocuments,
        summaryRequests,
        bucketRangesCompared,
        bucketRangesMismatched,
        sourceRowsListed,
        indexDocumentsListed,
        bytesRead,
        missing,
        stale,
        phantom,
        changedDuringComparison,
        repaired,
        repairFailed,
        sampleKeys);
  }

  @Override
  public String toString() {
    return "ReconciliationReport["
        + "sourceCollection="
        + sourceCollection
        + ", indexCollection="
        + indexCollection
        + ", startedAt="
        + startedAt
        + ", duration="
        + duration
        + ", sourceRows="
        + sourceRows
        + ", indexDocuments="
        + indexDocuments
        + ", summaryRequests="
        + summaryRequests
        + ", bucketRangesCompared="
        + bucketRangesCompared
        + ", bucketRangesMismatched="
        + bucketRangesMismatched
        + ", sourceRowsListed="
        + sourceRowsListed
        + ", indexDocumentsListed="
        + indexDocumentsListed
        + ", bytesRead="
        + bytesRead
        + ", missing="
        + missing
        + ", stale="
        + stale
        + ", phantom="
        + phantom
        + ", changedDuringComparison="
        + changedDuringComparison
        + ", repaired="
        + repaired
        + ", repairFailed="
        + repairFailed
        + ", sampleKeys="
        + sampleKeys
        + "]";
  }
}
