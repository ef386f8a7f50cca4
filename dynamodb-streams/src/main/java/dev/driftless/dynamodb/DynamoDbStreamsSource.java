package dev.driftless.dynamodb;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.dynamodb.internal.CaughtUpMark;
import dev.driftless.dynamodb.internal.ItemRepairReader;
import dev.driftless.dynamodb.internal.ReaderSettings;
import dev.driftless.dynamodb.internal.StreamReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * A {@link ChangeSource} that follows the DynamoDB Streams of one or more tables, each table a
 * collection. See {@code docs/dynamodb.md}.
 *
 * <ul>
 *   <li>Shards are listed continuously; a child shard is read only after its parent was read to its
 *       end and every record of it settled, so each key's changes come in order.
 *   <li>A fixed pool of {@link DynamoDbStreamsSourceBuilder#maxConcurrentReads reader threads}
 *       reads the shards, however many there are; open shards are polled every {@link
 *       DynamoDbStreamsSourceBuilder#pollInterval poll interval}, closed ones as fast as they
 *       answer.
 *   <li>Progress is checkpointed per shard in the pipeline's {@code CheckpointStore} (the last
 *       settled sequence number; a shard's end only once its last record settled); a restart
 *       resumes each shard after it.
 *   <li>With {@link DynamoDbStreamsSourceBuilder#leases leases}, several instances share the
 *       shards: each reads the shards whose lease it holds and checkpoints into the leases instead.
 *   <li>Throttling and server errors are retried with the pipeline's backoff and jitter ({@code
 *       SourceContext.outagePolicy()}); a run of failures with no success between is reported to
 *       the pipeline as a source outage, held to its {@code outageDeadline}; lost changes (trimmed
 *       records, a shard gone unread, a re-enabled stream) resync the table with a new backfill
 *       ({@link DataLossPolicy#RESYNC}, the default) or stop the pipeline with a {@link
 *       StreamDataLostException} ({@link DataLossPolicy#FAIL}).
 *   <li>With a {@link DynamoDbStreamsSourceBuilder#backfill backfill}, a parallel consistent Scan
 *       of each table runs beside the stream, resumable per segment.
 * </ul>
 *
 * <p>Every event carries the stream record's id in its {@link ChangeEvent#metadata() metadata}
 * under {@link #METADATA_EVENT_ID}; a delete made by TTL expiry also carries {@link #METADATA_TTL}
 * = {@code "true"}.
 *
 * <p>The clients are the caller's: the source never closes them.
 */
public final class DynamoDbStreamsSource implements ChangeSource {
  /**
   * Metadata key of the stream record's {@code eventID} (on every event; a record without one
   * leaves it out).
   */
  public static final String METADATA_EVENT_ID = "dynamodb.eventID";

  /**
   * Metadata key set to {@code "true"} on a delete made by TTL expiry (a REMOVE whose {@code
   * userIdentity} is the service: type {@code Service}, principal {@code dynamodb.amazonaws.com});
   * absent otherwise.
   */
  public static final String METADATA_TTL = "dynamodb.ttl";

  /**
   * Metadata key of an event that a read of the table made instead of the stream: {@code "repair"}
   * on the events of {@link #repairReader()} (repairs, dead-letter replays). Such events carry no
   * {@link #METADATA_EVENT_ID}.
   */
  public static final String METADATA_READ = "dynamodb.read";

  private final ReaderSettings settings;
  private final DynamoDbClient dynamoDb;
  private final DynamoDbStreamsClient streams;
  private volatile @Nullable StreamReader reader;
  private volatile @Nullable SourceContext context;
  private volatile boolean closed;
  private final ItemRepairReader repairs;

  DynamoDbStreamsSource(
      ReaderSettings settings, DynamoDbClient dynamoDb, DynamoDbStreamsClient streams) {
    this.settings = settings;
    this.dynamoDb = dynamoDb;
    this.streams = streams;
    this.repairs = new ItemRepairReader(dynamoDb, settings, () -> context, () -> closed);
  }

  /** A builder; the clients and at least one table are required. */
  public static DynamoDbStreamsSourceBuilder builder() {
    return new DynamoDbStreamsSourceBuilder();
  }

  /** The followed tables. */
  public List<String> tables() {
    return settings.tables();
  }

  @Override
  public void start(SourceContext context) throws Exception {
    if (reader != null) {
      throw new IllegalStateException("the source was started already");
    }
    this.context = context;
    reader = StreamReader.start(settings, dynamoDb, streams, context);
  }

  /**
   * Re-reads keys with consistent {@code BatchGetItem} requests (up to 100 keys each; unprocessed
   * keys and throttling retried with the pipeline's outage policy): an item found is an upsert, a
   * key without an item a delete, versioned so that a read never beats a later stream change (see
   * {@code docs/dynamodb.md}, "Repair"). Events carry {@link #METADATA_READ} = {@code "repair"}.
   * Usable once the source started.
   */
  @Override
  public Optional<RepairReader> repairReader() {
    return Optional.of(repairs);
  }

  @Override
  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws Exception {
    return started().poll(maxEvents, maxWait);
  }

  @Override
  public void commit(SourcePosition position) throws Exception {
    started().commit(position);
  }

  /**
   * "Now": {@link dev.driftless.core.Pipeline#awaitCaughtUp} then waits until every record written
   * to the followed tables before this call is in the index (see {@link #reached}). Empty with
   * {@link DynamoDbStreamsSourceBuilder#leases leases}: other instances read some shards, and this
   * one cannot tell whether they caught up.
   */
  @Override
  public Optional<SourcePosition> head() {
    return started().head();
  }

  /**
   * Whether the stream has been read past {@code head} and settled: no backfill or resync runs, no
   * closed shard waits for its children to be listed, and every shard not done had a GetRecords
   * call that started after {@code head} was taken and came back empty from the open shard (so it
   * had fetched everything written before), with nothing of the shard buffered or unsettled now. On
   * AWS a write shows up in the stream shortly after DynamoDB acknowledged it (usually well under a
   * second); a write acknowledged just before {@code head} may still be in flight to the stream.
   */
  @Override
  public boolean reached(SourcePosition head) {
    StreamReader r = reader;
    return r != null && head instanceof CaughtUpMark mark && r.reached(mark);
  }

  /**
   * Keys: {@code streamArns}, {@code shardsOpen}, {@code shardsClosed}, {@code shardsBeingRead},
   * {@code recordsBuffered}, {@code recordsUnsettled}, {@code requestsInFlight}, {@code
   * readerThreads}, {@code oldestUnprocessedRecordAgeMillis}, {@code iteratorRefreshes}, {@code
   * throttles}, {@code ttlDeletes}, {@code resyncs}; once a table has a backfill to run {@code
   * backfillState} ({@code running}, {@code done}), {@code backfillSegmentsDone}, {@code
   * backfillSegmentsTotal}, {@code backfillItems}, {@code backfillItemsScannedThisRun}, {@code
   * backfillItemsEstimate}, {@code backfillItemsPerSecond}, {@code backfillEtaSeconds}, {@code
   * backfillItemsBuffered}, {@code backfillPages}, {@code backfillReadUnits}; with {@link
   * DynamoDbStreamsSourceBuilder#leases leases} also {@code workerId}, {@code leaseTable}, {@code
   * shardsHeld}, {@code leasesHeld}, {@code leasesTaken}, {@code leasesStolen}, {@code leasesLost},
   * {@code leaseRenewalFailures}.
   */
  @Override
  public Map<String, Object> statusDetails() {
    StreamReader r = reader;
    return r == null ? Map.of() : r.statusDetails();
  }

  @Override
  public void close() throws Exception {
    closed = true;
    StreamReader r = reader;
    if (r != null) {
      r.close();
    }
  }

  private StreamReader started() {
    StreamReader r = reader;
    if (r == null) {
      throw new IllegalStateException("the source is not started");
    }
    return r;
  }
}
