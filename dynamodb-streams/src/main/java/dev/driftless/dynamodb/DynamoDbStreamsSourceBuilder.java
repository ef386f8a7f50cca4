package dev.driftless.dynamodb;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.dynamodb.internal.ItemFingerprint;
import dev.driftless.dynamodb.internal.ReaderSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Builds a {@link DynamoDbStreamsSource}. Setters check their argument at once; {@link #build()}
 * checks that the clients and at least one table are given. Defaults are in {@code
 * docs/dynamodb.md}.
 */
public final class DynamoDbStreamsSourceBuilder {
  /** DynamoDB Streams iterators expire 15 minutes after they are issued. */
  static final Duration ITERATOR_LIFETIME = Duration.ofMinutes(15);

  private @Nullable DynamoDbClient dynamoDb;
  private @Nullable DynamoDbStreamsClient streams;
  private final Set<String> tables = new LinkedHashSet<>();
  private StartingPosition startingPosition = StartingPosition.TRIM_HORIZON;
  private VersionStrategy versionStrategy = VersionStrategy.derived();
  private Duration pollInterval = Duration.ofMillis(500);
  private int maxConcurrentReads = 8;
  private int maxBufferedRecords = 10_000;
  private int recordsPerRequest = 1000;
  private Duration discoveryInterval = Duration.ofSeconds(10);
  private Duration iteratorRefreshAge = Duration.ofMinutes(14);
  private @Nullable BackfillSettings backfill;
  private @Nullable DataLossPolicy onDataLoss;
  private ShardLeases.@Nullable Builder leases;
  private ItemFingerprint fingerprint = ItemFingerprint.allAttributes();
  private @Nullable FingerprintReader indexVersions;

  DynamoDbStreamsSourceBuilder() {}

  /**
   * The client for the tables (descriptions, and re-reads of items for KEYS_ONLY/OLD_IMAGE
   * streams). Required.
   */
  public DynamoDbStreamsSourceBuilder dynamoDbClient(DynamoDbClient client) {
    this.dynamoDb = Objects.requireNonNull(client, "client");
    return this;
  }

  /** The client for the streams. Required. */
  public DynamoDbStreamsSourceBuilder streamsClient(DynamoDbStreamsClient client) {
    this.streams = Objects.requireNonNull(client, "client");
    return this;
  }

  /** Follows {@code table}'s stream; its documents form the collection of the table's name. */
  public DynamoDbStreamsSourceBuilder table(String table) {
    Objects.requireNonNull(table, "table");
    if (table.isBlank()) {
      throw new IllegalArgumentException("table must not be blank");
    }
    if (!tables.add(table)) {
      throw new IllegalArgumentException("table " + table + " is given twice");
    }
    return this;
  }

  /** Follows each of {@code tables}. */
  public DynamoDbStreamsSourceBuilder tables(String... names) {
    Objects.requireNonNull(names, "names");
    for (String t : names) {
      table(t);
    }
    return this;
  }

  /**
   * Where a pipeline without a checkpoint starts. Default {@link StartingPosition#TRIM_HORIZON}.
   */
  public DynamoDbStreamsSourceBuilder startingPosition(StartingPosition position) {
    this.startingPosition = Objects.requireNonNull(position, "position");
    return this;
  }

  /** How versions are assigned. Default {@link VersionStrategy#derived()}. */
  public DynamoDbStreamsSourceBuilder versionStrategy(VersionStrategy strategy) {
    this.versionStrategy = Objects.requireNonNull(strategy, "strategy");
    return this;
  }

  /**
   * The pause before polling an open shard again after an empty page. Default 500 ms; (0, 1 min].
   */
  public DynamoDbStreamsSourceBuilder pollInterval(Duration interval) {
    this.pollInterval = positiveAtMost(interval, "pollInterval", Duration.ofMinutes(1));
    return this;
  }

  /** Reader threads, which bound the GetRecords requests in flight. Default 8; [1, 256]. */
  public DynamoDbStreamsSourceBuilder maxConcurrentReads(int readers) {
    this.maxConcurrentReads = inRange(readers, "maxConcurrentReads", 1, 256);
    return this;
  }

  /** Records read ahead of the pipeline, at most. Default 10,000; [1, 1,000,000]. */
  public DynamoDbStreamsSourceBuilder maxBufferedRecords(int records) {
    this.maxBufferedRecords = inRange(records, "maxBufferedRecords", 1, 1_000_000);
    return this;
  }

  /** GetRecords' {@code Limit}. Default 1000 (the service's most); [1, 1000]. */
  public DynamoDbStreamsSourceBuilder recordsPerRequest(int records) {
    this.recordsPerRequest = inRange(records, "recordsPerRequest", 1, 1000);
    return this;
  }

  /** The pause between full listings of a stream's shards. Default 10 s; (0, 1 h]. */
  public DynamoDbStreamsSourceBuilder discoveryInterval(Duration interval) {
    this.discoveryInterval = positiveAtMost(interval, "discoveryInterval", Duration.ofHours(1));
    return this;
  }

  /**
   * An iterator older than this is replaced before use (iterators expire after 15 minutes; an
   * expired one is replaced too). Default 14 min; (0, 15 min).
   */
  public DynamoDbStreamsSourceBuilder iteratorRefreshAge(Duration age) {
    Objects.requireNonNull(age, "age");
    if (age.isNegative() || age.isZero() || age.compareTo(ITERATOR_LIFETIME) >= 0) {
      throw new IllegalArgumentException("iteratorRefreshAge must be in (0, 15 min), was " + age);
    }
    this.iteratorRefreshAge = age;
    return this;
  }

  /**
   * Backfills the tables (all followed ones, or {@link BackfillSettings#tables()}) with a parallel
   * consistent Scan while the stream runs, once per table: at the first start of a pipeline, or at
   * the next start of one whose checkpoint has no backfill yet. Default none. Excludes {@link
   * StartingPosition#LATEST}. See docs/dynamodb.md, "Backfill".
   */
  public DynamoDbStreamsSourceBuilder backfill(BackfillSettings settings) {
    this.backfill = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * The attributes each document's fingerprint covers (reconciliation compares fingerprints; see
   * {@code docs/reconciliation.md}). Default: every attribute of the item. Give the attributes the
   * index holds when the table has large attributes the index leaves out, so a reconciliation scan
   * projects only these and the keys; a {@code DynamoDbFingerprintReader} of the table must be
   * given the same.
   */
  public DynamoDbStreamsSourceBuilder fingerprintAttributes(String... attributes) {
    Objects.requireNonNull(attributes, "attributes");
    this.fingerprint = ItemFingerprint.of(List.of(attributes));
    return this;
  }

  /**
   * What lost stream data (trimmed before read, a shard gone unread, a re-enabled stream) leads to.
   * Default {@link DataLossPolicy#RESYNC}: a new backfill of the table and {@code
   * SourceContext.resynced()} at its end; with {@link #leases} {@link DataLossPolicy#FAIL}, the
   * only choice there for now.
   */
  public DynamoDbStreamsSourceBuilder onDataLoss(DataLossPolicy policy) {
    this.onDataLoss = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Shares the shards among several instances of the pipeline through leases in a DynamoDB table
   * (see {@link ShardLeases}); progress is then kept in the leases, not in the pipeline's {@code
   * CheckpointStore}. Default: none (one instance reads every shard).
   */
  public DynamoDbStreamsSourceBuilder leases(ShardLeases.Builder settings) {
    this.leases = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * With {@link VersionStrategy#attribute}: where a repair asks the version of a document whose
   * item is gone, to delete it at exactly that version (usually the pipeline's sink, e.g. an {@code
   * OpenSearchSink}). A read cannot know a deleted item's last version; without this, such a delete
   * has version 0 and removes nothing the index holds. Default: none.
   */
  public DynamoDbStreamsSourceBuilder indexVersions(FingerprintReader index) {
    this.indexVersions = Objects.requireNonNull(index, "index");
    return this;
  }

  /**
   * The source.
   *
   * @throws IllegalStateException naming the missing setting
   */
  public DynamoDbStreamsSource build() {
    if (dynamoDb == null) {
      throw new IllegalStateException("dynamoDbClient is required");
    }
    if (streams == null) {
      throw new IllegalStateException("streamsClient is required");
    }
    if (tables.isEmpty()) {
      throw new IllegalStateException("tables: at least one table is required");
    }
    if (discoveryInterval.compareTo(pollInterval) < 0) {
      throw new IllegalStateException(
          "discoveryInterval ("
              + discoveryInterval
              + ") must be at least pollInterval ("
              + pollInterval
              + ")");
    }
    if (backfill != null) {
      for (String t : backfill.tables()) {
        if (!tables.contains(t)) {
          throw new IllegalStateException(
              "backfill.tables: table " + t + " is not one of the followed tables " + tables);
        }
      }
      if (startingPosition == StartingPosition.LATEST) {
        throw new IllegalStateException(
            "backfill and startingPosition LATEST exclude each other: a backfill reads the stream"
                + " from the horizon of the shards open at its start, never from LATEST");
      }
    }
    if (leases != null && backfill != null) {
      throw new IllegalStateException(
          "backfill and leases exclude each other for now: a backfill's segments are not yet"
              + " shared among instances (run the backfill with a single instance first)");
    }
    if (leases != null && onDataLoss == DataLossPolicy.RESYNC) {
      throw new IllegalStateException(
          "onDataLoss RESYNC and leases exclude each other for now: a resync backfills, and a"
              + " backfill's segments are not yet shared among instances; use FAIL");
    }
    DataLossPolicy effectiveDataLoss =
        onDataLoss != null
            ? onDataLoss
            : leases != null ? DataLossPolicy.FAIL : DataLossPolicy.RESYNC;
    if (indexVersions != null && versionStrategy.versionAttribute().isEmpty()) {
      throw new IllegalStateException(
          "indexVersions is only used with VersionStrategy.attribute (derived deletes need no"
              + " index version)");
    }
    List<String> names = new ArrayList<>(tables);
    ReaderSettings settings =
        new ReaderSettings(
            names,
            startingPosition,
            versionStrategy.versionAttribute().orElse(null),
            pollInterval,
            maxConcurrentReads,
            maxBufferedRecords,
            recordsPerRequest,
            discoveryInterval,
            iteratorRefreshAge,
            leases == null ? null : leases.build(),
            backfill,
            effectiveDataLoss,
            fingerprint,
            indexVersions);
    return new DynamoDbStreamsSource(settings, dynamoDb, streams);
  }

  private static Duration positiveAtMost(Duration value, String name, Duration max) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero() || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(name + " must be in (0, " + max + "], was " + value);
    }
    return value;
  }

  private static int inRange(int value, String name, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "], was " + value);
    }
    return value;
  }
}
