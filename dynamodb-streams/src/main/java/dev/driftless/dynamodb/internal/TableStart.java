package dev.driftless.dynamodb.internal;

import dev.driftless.core.ConfigurationException;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.dynamodb.BackfillSettings;
import dev.driftless.dynamodb.DataLossPolicy;
import dev.driftless.dynamodb.StreamDataLostException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Opens one followed table for reading, at the reader's start or for a resync: checks its stream,
 * lists its shards, takes the backfill's anchor <em>after</em> the listing (so every shard open at
 * the anchor is read, from its horizon) and before any scan, and decides whether the table is
 * backfilled: a resync always; otherwise when backfill is configured for it and its checkpoint has
 * no backfill yet; a backfill in progress resumes with its stored anchor. Blocks (requests).
 */
final class TableStart {
  private static final Logger LOG = LoggerFactory.getLogger(TableStart.class);

  private final ReaderSettings settings;
  private final DynamoDbClient dynamoDb;
  private final DynamoDbStreamsClient streams;
  private final SourceContext context;
  private final java.util.concurrent.atomic.AtomicLong resyncs =
      new java.util.concurrent.atomic.AtomicLong();

  TableStart(
      ReaderSettings settings,
      DynamoDbClient dynamoDb,
      DynamoDbStreamsClient streams,
      SourceContext context) {
    this.settings = settings;
    this.dynamoDb = dynamoDb;
    this.streams = streams;
    this.context = context;
  }

  /** The backfill settings in force: the configured ones, or the defaults for a resync. */
  BackfillSettings backfillSettings() {
    BackfillSettings b = settings.backfill();
    return b != null ? b : BackfillSettings.builder().build();
  }

  /**
   * Opens {@code table} from its {@code checkpoint}; with {@link DataLossPolicy#RESYNC}, a loss
   * found here (a new stream ARN, a checkpointed shard gone) resyncs it instead of throwing.
   */
  TableStream open(String table, @Nullable TableCheckpoint checkpoint) {
    try {
      TableStream stream =
          TableStream.open(
              dynamoDb,
              table,
              settings.versionAttribute(),
              checkpoint,
              startingPosition(),
              settings.fingerprint());
      boolean fresh = checkpoint == null || checkpoint.backfill() == null;
      prepare(stream, fresh && settings.backfills(table), false);
      return stream;
    } catch (StreamDataLostException e) {
      if (settings.onDataLoss() != DataLossPolicy.RESYNC) {
        throw e;
      }
      return resync(e);
    }
  }

  /**
   * A new start of the table after {@code loss}: its current stream from the horizon of the shards
   * open now, and a backfill under a new anchor that ends with {@code resynced()}.
   *
   * @throws StreamDataLostException {@code loss}, when the table has no stream to resync from
   */
  TableStream resync(StreamDataLostException loss) {
    LOG.warn("{}; resyncing table {} with a new backfill", loss.getMessage(), loss.table());
    TableStream stream;
    try {
      stream =
          TableStream.open(
              dynamoDb,
              loss.table(),
              settings.versionAttribute(),
              null,
              startingPosition(),
              settings.fingerprint());
    } catch (ConfigurationException e) {
      loss.addSuppressed(e);
      throw loss;
    }
    prepare(stream, true, true);
    resyncs.incrementAndGet();
    return stream;
  }

  /** Resyncs begun so far. */
  long resyncsBegun() {
    return resyncs.get();
  }

  private void prepare(TableStream stream, boolean startBackfill, boolean resync) {
    List<Shard> listing = stream.listShards(streams);
    // The anchor: after the listing (every shard open now is read from its horizon), before the
    // scan.
    long anchorSecond = context.clock().instant().getEpochSecond();
    if (startBackfill) {
      BackfillSettings b = backfillSettings();
      long readVersion =
          ItemReads.anchor(java.time.Instant.ofEpochSecond(anchorSecond), b.versionMargin());
      stream.backfill =
          BackfillCheckpoint.start(anchorSecond, readVersion, b.totalSegments(), resync);
      stream.skipClosedShards = true;
    }
    stream.initialize(listing, anchorSecond);
  }

  /** With leases, where a new pipeline starts is decided when the leases are created. */
  private dev.driftless.dynamodb.StartingPosition startingPosition() {
    return settings.leases() != null
        ? dev.driftless.dynamodb.StartingPosition.TRIM_HORIZON
        : settings.startingPosition();
  }

  /** The table's item count as DescribeTable reports it (updated about every 6 hours), or -1. */
  long itemEstimate(String table) {
    try {
      Long n = dynamoDb.describeTable(b -> b.tableName(table)).table().itemCount();
      return n == null ? -1 : n;
    } catch (RuntimeException e) {
      return -1;
    }
  }
}
