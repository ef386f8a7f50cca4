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
 * What one reconciliation run compared, found, repaired, and what it cost.
 *
 * @param sourceCollection the source's collection
 * @param indexCollection the index's collection
 * @param startedAt when the run started
 * @param duration how long it took
 * @param sourceRows rows the source holds (from the top-level summaries)
 * @param indexDocuments documents the index holds (from the top-level summaries)
 * @param summaryRequests summary requests made to the two sides together
 * @param bucketRangesCompared bucket ranges whose summaries were compared
 * @param bucketRangesMismatched of those, the ones whose summaries differed
 * @param sourceRowsListed rows read key by key on the source side: listed, and re-read to verify
 * @param indexDocumentsListed documents read key by key on the index side: listed, and re-read
 * @param bytesRead bytes the two readers reported moving, or -1 when a reader does not count
 * @param missing keys in the source but not in the index
 * @param stale keys whose index fingerprint differs from the source's
 * @param phantom keys in the index but not in the source
 * @param changedDuringComparison keys that differed at first but matched when re-verified
 * @param repaired keys repaired through the pipeline (written, or found already current)
 * @param repairFailed keys whose repair failed
 * @param sampleKeys up to 20 differing keys, for a person to look at
 */
public record ReconciliationReport(
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

  public ReconciliationReport {
    Objects.requireNonNull(sourceCollection, "sourceCollection");
    Objects.requireNonNull(indexCollection, "indexCollection");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(duration, "duration");
    sampleKeys = List.copyOf(sampleKeys);
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
}
