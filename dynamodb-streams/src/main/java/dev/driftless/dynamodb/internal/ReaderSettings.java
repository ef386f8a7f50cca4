package dev.driftless.dynamodb.internal;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.dynamodb.BackfillSettings;
import dev.driftless.dynamodb.DataLossPolicy;
import dev.driftless.dynamodb.ShardLeases;
import dev.driftless.dynamodb.StartingPosition;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The source's settings, checked by the builder.
 *
 * @param tables the followed tables
 * @param startingPosition where a new pipeline starts
 * @param versionAttribute the version attribute, or {@code null} for derived versions
 * @param pollInterval the pause between polls of an open shard that returned nothing
 * @param maxConcurrentReads reader threads, and so the most requests in flight for records
 * @param maxBufferedRecords records read ahead of the pipeline, at most (plus one page per reader)
 * @param recordsPerRequest GetRecords' limit
 * @param discoveryInterval the pause between full listings of a stream's shards
 * @param iteratorRefreshAge an iterator older than this is replaced before use
 * @param leases the lease settings, or {@code null} for a single instance (checkpoints in the
 *     pipeline's {@code CheckpointStore})
 * @param backfill the backfill, or {@code null} for none
 * @param onDataLoss what lost stream data leads to
 * @param fingerprint what the documents' fingerprints cover
 * @param indexVersions where a repair under the attribute strategy asks the version of a document
 *     whose item is gone, or {@code null}
 */
public record ReaderSettings(
    List<String> tables,
    StartingPosition startingPosition,
    @Nullable String versionAttribute,
    Duration pollInterval,
    int maxConcurrentReads,
    int maxBufferedRecords,
    int recordsPerRequest,
    Duration discoveryInterval,
    Duration iteratorRefreshAge,
    @Nullable ShardLeases leases,
    @Nullable BackfillSettings backfill,
    DataLossPolicy onDataLoss,
    ItemFingerprint fingerprint,
    @Nullable FingerprintReader indexVersions) {

  public ReaderSettings {
    tables = List.copyOf(tables);
  }

  /** Whether {@code table} is backfilled when it has no backfill progress yet. */
  public boolean backfills(String table) {
    return backfill != null && (backfill.tables().isEmpty() || backfill.tables().contains(table));
  }

  /**
   * Settings for one instance without backfill (RESYNC on loss), with fingerprints of every
   * attribute and no index to ask for versions.
   */
  public ReaderSettings(
      List<String> tables,
      StartingPosition startingPosition,
      @Nullable String versionAttribute,
      Duration pollInterval,
      int maxConcurrentReads,
      int maxBufferedRecords,
      int recordsPerRequest,
      Duration discoveryInterval,
      Duration iteratorRefreshAge) {
    this(
        tables,
        startingPosition,
        versionAttribute,
        pollInterval,
        maxConcurrentReads,
        maxBufferedRecords,
        recordsPerRequest,
        discoveryInterval,
        iteratorRefreshAge,
        null,
        null,
        DataLossPolicy.RESYNC,
        ItemFingerprint.allAttributes(),
        null);
  }
}
