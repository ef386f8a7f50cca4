package dev.driftless.dynamodb.internal;

import dev.driftless.core.ConfigurationException;
import dev.driftless.dynamodb.StartingPosition;
import dev.driftless.dynamodb.StreamDataLostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.DescribeStreamResponse;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardFilterType;
import software.amazon.awssdk.services.dynamodb.model.StreamSpecification;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * One followed table: its stream, the shard lineage, the shards being read, and what its checkpoint
 * holds. Listing calls block; state changes happen under the {@link StreamReader}'s lock.
 */
final class TableStream {
  final String name;
  final String streamArn;
  final RecordConverter converter;
  final @Nullable String versionAttribute;
  final ShardLineage lineage = new ShardLineage();
  final Map<String, ShardState> reading = new LinkedHashMap<>();

  /** Checkpoints loaded at start (or planned for a new pipeline), until a shard starts. */
  private final Map<String, ShardCheckpoint> loaded = new HashMap<>();

  private final boolean newPipeline;
  private final StartingPosition startingPosition;

  /**
   * The table's backfill progress (loaded, started, or moved by commits), or {@code null} when it
   * never had one. Guarded by the reader's lock.
   */
  @Nullable BackfillCheckpoint backfill;

  /**
   * A new pipeline that backfills: shards already closed at its start are done without reading (the
   * scan, anchored after the listing, covers what they hold); open ones start at their horizon.
   */
  boolean skipClosedShards;

  /** Shards that ended and whose children are not listed yet: shard id -> lookups so far. */
  final Map<String, Integer> childLookups = new LinkedHashMap<>();

  /** Unfinished shards missing from the last full listings: shard id -> listings in a row. */
  private final Map<String, Integer> missing = new HashMap<>();

  private static final int MISSING_LISTINGS = 3;

  long nextChildLookupNanos;
  long nextDiscoveryNanos;

  private TableStream(
      String name,
      String streamArn,
      RecordConverter converter,
      @Nullable String versionAttribute,
      @Nullable TableCheckpoint checkpoint,
      StartingPosition startingPosition) {
    this.name = name;
    this.streamArn = streamArn;
    this.converter = converter;
    this.versionAttribute = versionAttribute;
    this.newPipeline = checkpoint == null;
    this.startingPosition = startingPosition;
    if (checkpoint != null) {
      loaded.putAll(checkpoint.shards());
      backfill = checkpoint.backfill();
    }
  }

  /**
   * Reads the table's description and checks it against the settings and the checkpoint.
   *
   * @throws ConfigurationException if the table has no stream or one the version strategy cannot
   *     use
   * @throws StreamDataLostException if the checkpoint follows another stream than the table's
   */
  static TableStream open(
      DynamoDbClient dynamoDb,
      String table,
      @Nullable String versionAttribute,
      @Nullable TableCheckpoint checkpoint,
      StartingPosition startingPosition) {
    return open(
        dynamoDb,
        table,
        versionAttribute,
        checkpoint,
        startingPosition,
        ItemFingerprint.allAttributes());
  }

  /** {@link #open} with documents carrying {@code fingerprint} of their items. */
  static TableStream open(
      DynamoDbClient dynamoDb,
      String table,
      @Nullable String versionAttribute,
      @Nullable TableCheckpoint checkpoint,
      StartingPosition startingPosition,
      ItemFingerprint fingerprint) {
    TableDescription description = dynamoDb.describeTable(b -> b.tableName(table)).table();
    StreamSpecification spec = description.streamSpecification();
    String arn = description.latestStreamArn();
    if (spec == null || !Boolean.TRUE.equals(spec.streamEnabled()) || arn == null) {
      if (checkpoint != null) {
        throw new StreamDataLostException(
            table,
            "its stream "
                + checkpoint.streamArn()
                + " was disabled; changes since are not recorded anywhere");
      }
      throw new ConfigurationException(
          "tables: table " + table + " has no stream enabled (UpdateTable StreamSpecification)");
    }
    if (checkpoint != null && !checkpoint.streamArn().equals(arn)) {
      throw new StreamDataLostException(
          table,
          "the checkpoint follows stream "
              + checkpoint.streamArn()
              + " but the table's stream is now "
              + arn
              + " (disabled and enabled again): changes in between were never recorded");
    }
    StreamViewType view = spec.streamViewType();
    if (versionAttribute != null
        && view != StreamViewType.NEW_AND_OLD_IMAGES
        && view != StreamViewType.OLD_IMAGE) {
      throw new ConfigurationException(
          "versionStrategy: attribute("
              + versionAttribute
              + ") needs the stream of table "
              + table
              + " to carry old images (NEW_AND_OLD_IMAGES or OLD_IMAGE), to version deletes;"
              + " its view type is "
              + view);
    }
    String partition = null;
    String sort = null;
    for (KeySchemaElement k : description.keySchema()) {
      if (k.keyType() == KeyType.HASH) {
        partition = k.attributeName();
      } else if (k.keyType() == KeyType.RANGE) {
        sort = k.attributeName();
      }
    }
    if (partition == null) {
      throw new IllegalStateException(
          "table " + table + " has no partition key in its description");
    }
    boolean newImages =
        view == StreamViewType.NEW_IMAGE || view == StreamViewType.NEW_AND_OLD_IMAGES;
    RecordConverter converter =
        new RecordConverter(
            new RecordConverter.TableInfo(table, table, partition, sort, newImages),
            versionAttribute,
            dynamoDb,
            fingerprint);
    return new TableStream(table, arn, converter, versionAttribute, checkpoint, startingPosition);
  }

  /**
   * Checks that the table still streams into the followed stream.
   *
   * @throws StreamDataLostException if the stream was disabled, or disabled and enabled again
   */
  void checkStream(DynamoDbClient dynamoDb) {
    TableDescription description = dynamoDb.describeTable(b -> b.tableName(name)).table();
    StreamSpecification spec = description.streamSpecification();
    String arn = description.latestStreamArn();
    if (spec == null || !Boolean.TRUE.equals(spec.streamEnabled()) || arn == null) {
      throw new StreamDataLostException(
          name,
          "its stream " + streamArn + " was disabled; changes since are not recorded anywhere");
    }
    if (!arn.equals(streamArn)) {
      throw new StreamDataLostException(
          name,
          "the stream "
              + streamArn
              + " was replaced by "
              + arn
              + " (disabled and enabled again): changes in between were never recorded");
    }
  }

  /** Every shard of the stream (DescribeStream, all pages). */
  List<Shard> listShards(DynamoDbStreamsClient streams) {
    List<Shard> shards = new ArrayList<>();
    String start = null;
    do {
      String from = start;
      DescribeStreamResponse page =
          streams.describeStream(b -> b.streamArn(streamArn).exclusiveStartShardId(from));
      shards.addAll(page.streamDescription().shards());
      start = page.streamDescription().lastEvaluatedShardId();
    } while (start != null);
    return shards;
  }

  /** The children of {@code shard} (DescribeStream with a CHILD_SHARDS filter, all pages). */
  List<Shard> listChildren(DynamoDbStreamsClient streams, String shard) {
    List<Shard> shards = new ArrayList<>();
    String start = null;
    do {
      String from = start;
      DescribeStreamResponse page =
          streams.describeStream(
              b ->
                  b.streamArn(streamArn)
                      .exclusiveStartShardId(from)
                      .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(shard)));
      shards.addAll(page.streamDescription().shards());
      start = page.streamDescription().lastEvaluatedShardId();
    } while (start != null);
    return shards;
  }

  /**
   * The first listing: what the checkpoint says is done, or for a new pipeline at LATEST what
   * exists already (closed shards are skipped, open ones read from {@code nowSecond} on).
   *
   * @throws StreamDataLostException if a shard the checkpoint still owes records of is gone
   */
  void initialize(List<Shard> listing, long nowSecond) {
    Set<String> listed = new java.util.HashSet<>();
    Set<String> parents = new java.util.HashSet<>();
    for (Shard s : listing) {
      listed.add(s.shardId());
      if (s.parentShardId() != null) {
        parents.add(s.parentShardId());
      }
    }
    for (Map.Entry<String, ShardCheckpoint> e : Map.copyOf(loaded).entrySet()) {
      if (e.getValue().end()) {
        if (listed.contains(e.getKey())) {
          lineage.markDone(e.getKey());
        } else if (!parents.contains(e.getKey())) {
          loaded.remove(e.getKey()); // trimmed away, and no child needs its version clock
        }
      } else if (!listed.contains(e.getKey())) {
        throw new StreamDataLostException(
            name,
            "shard "
                + e.getKey()
                + " disappeared (trimmed) before it was read to its end; its records after "
                + (e.getValue().sequence() == null ? "its start" : e.getValue().sequence())
                + " were not read");
      }
    }
    if (newPipeline && startingPosition == StartingPosition.LATEST) {
      for (Shard s : listing) {
        if (s.sequenceNumberRange() != null
            && s.sequenceNumberRange().endingSequenceNumber() != null) {
          loaded.put(s.shardId(), ShardCheckpoint.done());
          lineage.markDone(s.shardId());
        } else {
          loaded.put(s.shardId(), new ShardCheckpoint(null, false, nowSecond, 0, Map.of()));
        }
      }
    }
    if (newPipeline && skipClosedShards) {
      for (Shard s : listing) {
        if (s.sequenceNumberRange() != null
            && s.sequenceNumberRange().endingSequenceNumber() != null) {
          loaded.put(s.shardId(), ShardCheckpoint.done());
          lineage.markDone(s.shardId());
        }
      }
    }
    apply(listing, false);
  }

  /**
   * Adds listed shards. After a {@code full} listing, a shard that is no longer listed is forgotten
   * if done, and is a loss if not (it vanished unread).
   *
   * @throws StreamDataLostException for a shard that vanished unread
   */
  List<String> apply(List<Shard> listing, boolean full) {
    List<String> forgotten = new ArrayList<>();
    Set<String> listed = new java.util.HashSet<>();
    for (Shard s : listing) {
      listed.add(s.shardId());
      if (full) {
        missing.remove(s.shardId());
      }
      boolean closed =
          s.sequenceNumberRange() != null && s.sequenceNumberRange().endingSequenceNumber() != null;
      lineage.add(s.shardId(), s.parentShardId(), closed);
    }
    if (!full) {
      return forgotten;
    }
    for (String id : lineage.ids()) {
      if (listed.contains(id)) {
        continue;
      }
      if (lineage.isDone(id)) {
        // Trimmed away after it was done: nothing of it is needed any more.
        lineage.forget(id);
        loaded.remove(id);
        reading.remove(id);
        forgotten.add(id);
        continue;
      }
      ShardState state = reading.get(id);
      if (state != null && state.ended) {
        continue;
      }
      // Listings are eventually consistent (a new child can be missing from one): only a shard
      // missing from several listings in a row is gone.
      if (missing.merge(id, 1, Integer::sum) >= MISSING_LISTINGS) {
        throw new StreamDataLostException(
            name,
            "shard "
                + id
                + " disappeared (trimmed) before it was read to its end"
                + (state == null || state.resumeAfter() == null
                    ? ""
                    : "; its records after " + state.resumeAfter() + " were not read"));
      }
    }
    return forgotten;
  }

  /** The plan for starting {@code shard}: its loaded checkpoint, if any. */
  @Nullable ShardCheckpoint loadedCheckpoint(String shard) {
    return loaded.get(shard);
  }

  /** Whether a shard without a checkpoint started at TRIM_HORIZON owes nothing if trimmed. */
  boolean trimTolerant(String shard) {
    String parent = lineage.parentOf(shard);
    return newPipeline
        && startingPosition == StartingPosition.TRIM_HORIZON
        && !loaded.containsKey(shard)
        && (parent == null || !lineage.knows(parent));
  }

  /**
   * How {@code id} starts without leases: after its loaded checkpoint with the clock saved there,
   * or at its beginning with its parent's final clock (settled progress, or the parent's loaded
   * checkpoint), or a new clock. Called under the reader's lock.
   */
  ShardState plan(String id, SettleTracker tracker) {
    ShardCheckpoint planned = loaded.get(id);
    VersionClock clock;
    if (planned != null) {
      clock = planned.clock();
    } else {
      String parent = lineage.parentOf(id);
      ShardCheckpoint parentLoaded = parent == null ? null : loaded.get(parent);
      if (parent != null && tracker.tracks(parent)) {
        clock = tracker.checkpoint(parent, true).clock();
      } else if (parentLoaded != null) {
        clock = parentLoaded.clock();
      } else {
        clock = VersionClock.start();
      }
    }
    SequenceNumber after = planned == null ? null : planned.sequence();
    long notBefore = planned == null ? 0 : planned.notBeforeSecond();
    return new ShardState(this, id, notBefore, after, trimTolerant(id), clock.copy());
  }

  /**
   * Stops reading every shard (the table is resynced): buffers are dropped, unsettled records
   * forgotten, tasks in flight discard what they bring. Returns the records dropped: {buffered,
   * fetched and not converted}. Holds the reader's lock.
   */
  int[] abandon(SettleTracker tracker) {
    int[] dropped = new int[2];
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (ShardState s : reading.values()) {
      dropped[0] += s.buffer.size();
      dropped[1] += s.raw.size();
      s.buffer.clear();
      s.raw.clear();
      s.lost = true;
      s.done = true;
      ids.add(s.id);
    }
    tracker.abandon(ids);
    return dropped;
  }

  /** The table's checkpoint: what was loaded, overlaid by the progress of shards started since. */
  TableCheckpoint checkpoint(SettleTracker tracker) {
    Map<String, ShardCheckpoint> shards = new HashMap<>();
    for (Map.Entry<String, ShardCheckpoint> e : loaded.entrySet()) {
      if (e.getValue().end() || !reading.containsKey(e.getKey())) {
        shards.put(e.getKey(), e.getValue());
      }
    }
    for (ShardState state : reading.values()) {
      if (tracker.tracks(state.id)) {
        shards.put(state.id, tracker.checkpoint(state.id, state.done));
      }
    }
    return new TableCheckpoint(streamArn, shards, backfill);
  }
}
