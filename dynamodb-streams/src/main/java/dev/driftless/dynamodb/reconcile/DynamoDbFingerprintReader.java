package dev.driftless.dynamodb.reconcile;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.dynamodb.internal.AwsErrors;
import dev.driftless.dynamodb.internal.BatchGets;
import dev.driftless.dynamodb.internal.BucketSums;
import dev.driftless.dynamodb.internal.ItemFingerprint;
import dev.driftless.dynamodb.internal.KeyTable;
import dev.driftless.dynamodb.internal.Projection;
import dev.driftless.dynamodb.internal.ReadCounters;
import dev.driftless.dynamodb.internal.TableKeys;
import dev.driftless.dynamodb.internal.TableScan;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The DynamoDB side of reconciliation: the numbers {@link Fingerprints} defines, for tables that
 * the DynamoDB Streams source follows (collection = table name, key ids and item fingerprints as
 * the source makes them; see {@code docs/reconciliation.md}).
 *
 * <h2>What it reads</h2>
 *
 * DynamoDB has no server-side aggregation, so every answer is computed here from items read:
 *
 * <ul>
 *   <li>{@link #summarize} reads the table with one parallel {@code Scan} ({@link
 *       Builder#segments}, consistent by default) projecting only the key and the fingerprinted
 *       attributes, and keeps each key's hash and row fingerprint (16 bytes a key, up to {@link
 *       Builder#maxKeysInMemory}) in a per-key table. A summary of the whole bucket space — how
 *       every reconciliation run begins — always scans afresh; summaries of narrower ranges (the
 *       run's later levels) come from that table while it is younger than {@link
 *       Builder#reuseScanFor}. A table with more keys than the limit is not kept: each summary then
 *       scans again.
 *   <li>{@link #list} scans again and keeps only the keys of the asked ranges (their ids are not in
 *       the per-key table).
 *   <li>{@link #read} reads the ids' items with consistent {@code BatchGetItem} requests (100 keys
 *       each, projected the same way); an id no item can have is left out without a read.
 * </ul>
 *
 * <p>So a run costs one full scan of the table, plus one more when there are differences to list,
 * plus point reads of the differing keys; {@link #bytesRead()} reports the bytes of the items read
 * (as DynamoDB sizes items for read capacity), {@link #itemsRead()} and {@link #scans()} the rest.
 * An item whose key or fingerprint cannot be computed (a value of an unknown type) is skipped: the
 * stream dead-letters it, so the index does not hold it either.
 *
 * <p>Thread-safe; every call blocks on I/O. Throttling, server errors and dropped connections are
 * thrown as {@link dev.driftless.core.RetriableException} (the reconciler retries the call), and
 * unprocessed keys of a point read are asked again with backoff. The client is the caller's: the
 * reader never closes it.
 */
public final class DynamoDbFingerprintReader implements FingerprintReader {
  private final DynamoDbClient dynamoDb;
  private final Map<String, ItemFingerprint> tables;
  private final int segments;
  private final boolean consistent;
  private final long maxKeysInMemory;
  private final Duration reuseScanFor;
  private final Clock clock;
  private final ReadCounters counters = new ReadCounters();
  private final TableScan scan;
  private final BatchGets gets;
  private final OutagePolicy pointReadBackoff;
  private final ConcurrentMap<String, TableKeys> schemas = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, KeyTable> keyTables = new ConcurrentHashMap<>();

  private DynamoDbFingerprintReader(Builder b) {
    this.dynamoDb = Objects.requireNonNull(b.dynamoDb);
    this.tables = Map.copyOf(b.tables);
    this.segments = b.segments;
    this.consistent = b.consistent;
    this.maxKeysInMemory = b.maxKeysInMemory;
    this.reuseScanFor = b.reuseScanFor;
    this.clock = b.clock;
    this.scan = new TableScan(dynamoDb, counters, segments, consistent, b.pageLimit);
    this.gets = new BatchGets(dynamoDb, counters);
    this.pointReadBackoff =
        OutagePolicy.of(
            RetrySettings.exponential(Duration.ofMillis(50), Duration.ofSeconds(2)),
            Duration.ofSeconds(30));
  }

  /** A builder; the client and at least one table are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The tables read, each with the attributes its fingerprint covers (empty: all). */
  public Map<String, Optional<java.util.Set<String>>> tables() {
    Map<String, Optional<java.util.Set<String>>> out = new LinkedHashMap<>();
    tables.forEach((t, f) -> out.put(t, f.attributes()));
    return out;
  }

  @Override
  public List<BucketSummary> summarize(String collection, BucketRange range, int splits)
      throws Exception {
    Objects.requireNonNull(range, "range");
    return summarize(collection, List.of(range), splits);
  }

  /**
   * {@inheritDoc}
   *
   * <p>From the per-key table of the latest scan when it may be reused, else from a new scan (see
   * the class comment).
   *
   * @throws IllegalArgumentException if the collection is not a configured table, {@code splits} is
   *     less than 1, two ranges overlap, or ranges times splits exceeds 2^24
   */
  @Override
  public List<BucketSummary> summarize(String collection, List<BucketRange> ranges, int splits)
      throws Exception {
    if (splits < 1) {
      throw new IllegalArgumentException("splits must be at least 1, was " + splits);
    }
    List<BucketRange> sorted = BucketRange.disjointSorted(ranges);
    ItemFingerprint fingerprint = fingerprint(collection);
    if (sorted.isEmpty()) {
      return List.of();
    }
    BucketSums sums = new BucketSums(sorted, splits);
    boolean wholeSpace =
        sorted.size() == 1
            && sorted.get(0).from() == 0
            && sorted.get(0).to() >= Fingerprints.BUCKET_COUNT;
    Instant now = clock.instant();
    KeyTable kept = keyTables.get(collection);
    if (!wholeSpace
        && kept != null
        && now.isBefore(kept.scannedAt().plus(reuseScanFor))
        && !now.isBefore(kept.scannedAt())) {
      kept.sum(sums);
      return sums.summaries();
    }
    keyTables.remove(collection);
    AtomicLong held = new AtomicLong();
    List<Segment> parts =
        scan.run(
            schema(collection),
            fingerprint,
            s -> new Segment(new BucketSums(sorted, splits), held, maxKeysInMemory));
    List<KeyTable.Part> tableParts = new ArrayList<>(parts.size());
    for (Segment p : parts) {
      sums.merge(p.sums);
      tableParts.add(p.keys);
    }
    KeyTable table = KeyTable.of(tableParts, now);
    if (table != null) {
      keyTables.put(collection, table);
    }
    return sums.summaries();
  }

  @Override
  public List<KeyFingerprint> list(String collection, BucketRange range) throws Exception {
    Objects.requireNonNull(range, "range");
    return list(collection, List.of(range));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One parallel scan, keeping the keys of the ranges; no version is known.
   */
  @Override
  public List<KeyFingerprint> list(String collection, List<BucketRange> ranges) throws Exception {
    List<BucketRange> sorted = BucketRange.disjointSorted(ranges);
    ItemFingerprint fingerprint = fingerprint(collection);
    if (sorted.isEmpty()) {
      return List.of();
    }
    long[] froms = new long[sorted.size()];
    for (int i = 0; i < froms.length; i++) {
      froms[i] = sorted.get(i).from();
    }
    List<Listing> parts =
        scan.run(schema(collection), fingerprint, s -> new Listing(collection, sorted, froms));
    List<KeyFingerprint> out = new ArrayList<>();
    for (Listing p : parts) {
      out.addAll(p.keys);
    }
    out.sort(KeyFingerprint.BY_ID);
    return out;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Consistent {@code BatchGetItem} requests of up to 100 keys; unprocessed keys are asked again
   * with backoff for up to 30 s. No version is known.
   */
  @Override
  public List<KeyFingerprint> read(String collection, Collection<String> ids) throws Exception {
    ItemFingerprint fingerprint = fingerprint(collection);
    TableKeys keys = schema(collection);
    List<Map<String, AttributeValue>> ask = new ArrayList<>();
    for (String id : new LinkedHashSet<>(ids)) {
      keys.keyOf(id).ifPresent(ask::add);
    }
    if (ask.isEmpty()) {
      return List.of();
    }
    @Nullable Projection projection =
        fingerprint.projection(keys.attributes()).map(Projection::of).orElse(null);
    List<KeyFingerprint> out = new ArrayList<>(ask.size());
    for (Map<String, AttributeValue> item :
        gets.get(collection, ask, projection, pointReadBackoff, () -> false)) {
      try {
        DocumentKey key =
            dev.driftless.dynamodb.internal.AttributeValues.key(
                collection, keys.partitionKey(), keys.sortKey(), item);
        out.add(new KeyFingerprint(key, fingerprint.of(item), OptionalLong.empty()));
      } catch (IllegalArgumentException unreadable) {
        // skipped, as a scan skips it
      }
    }
    return out;
  }

  /** The bytes of the items read so far, as DynamoDB sizes items for read capacity. */
  @Override
  public long bytesRead() {
    return counters.bytes();
  }

  /** Items read so far (scanned and point-read). */
  public long itemsRead() {
    return counters.items();
  }

  /** Full scans of a table so far. */
  public long scans() {
    return counters.scans();
  }

  /** Requests sent so far (scan pages and point reads, retries included). */
  public long requests() {
    return counters.requests();
  }

  /** Items skipped so far because their key or fingerprint could not be computed. */
  public long itemsSkipped() {
    return counters.skipped();
  }

  private ItemFingerprint fingerprint(String collection) {
    Objects.requireNonNull(collection, "collection");
    ItemFingerprint f = tables.get(collection);
    if (f == null) {
      throw new IllegalArgumentException(
          "collection '" + collection + "' is not a configured table; tables: " + tables.keySet());
    }
    return f;
  }

  private TableKeys schema(String table) throws Exception {
    TableKeys known = schemas.get(table);
    if (known != null) {
      return known;
    }
    TableKeys described;
    try {
      described = TableKeys.describe(dynamoDb, table);
    } catch (RuntimeException e) {
      if (AwsErrors.isTransient(e)) {
        throw new dev.driftless.core.RetriableException(
            "DescribeTable " + table + " failed: " + e, e);
      }
      throw e;
    }
    schemas.putIfAbsent(table, described);
    return described;
  }

  /** One segment's summaries and share of the per-key table. */
  private static final class Segment implements TableScan.Visitor {
    final BucketSums sums;
    final KeyTable.Part keys;

    Segment(BucketSums sums, AtomicLong held, long limit) {
      this.sums = sums;
      this.keys = new KeyTable.Part(held, limit);
    }

    @Override
    public void item(String id, long keyHash, long rowFingerprint) {
      sums.add(keyHash, rowFingerprint);
      keys.add(keyHash, rowFingerprint);
    }
  }

  /** One segment's keys inside the listed ranges. */
  private static final class Listing implements TableScan.Visitor {
    final List<KeyFingerprint> keys = new ArrayList<>();
    private final String collection;
    private final List<BucketRange> ranges;
    private final long[] froms;

    Listing(String collection, List<BucketRange> ranges, long[] froms) {
      this.collection = collection;
      this.ranges = ranges;
      this.froms = froms;
    }

    @Override
    public void item(String id, long keyHash, long rowFingerprint) {
      long bucket = Fingerprints.bucketOf(keyHash);
      int r = java.util.Arrays.binarySearch(froms, bucket);
      if (r < 0) {
        r = -r - 2;
      }
      if (r >= 0 && bucket < ranges.get(r).to()) {
        keys.add(
            new KeyFingerprint(
                new DocumentKey(collection, id), rowFingerprint, OptionalLong.empty()));
      }
    }
  }

  /**
   * Builds a {@link DynamoDbFingerprintReader}. Setters check their argument at once; {@link
   * #build()} checks that the client and a table are given.
   */
  public static final class Builder {
    private @Nullable DynamoDbClient dynamoDb;
    private final Map<String, ItemFingerprint> tables = new LinkedHashMap<>();
    private int segments = 4;
    private boolean consistent = true;
    private long maxKeysInMemory = 1_000_000;
    private Duration reuseScanFor = Duration.ofMinutes(10);
    private @Nullable Integer pageLimit;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The client for the tables. Required. */
    public Builder dynamoDbClient(DynamoDbClient client) {
      this.dynamoDb = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Reads {@code table}, its fingerprints covering every attribute (the source's default).
     *
     * @throws IllegalArgumentException if the table is blank or given twice
     */
    public Builder table(String table) {
      return put(table, ItemFingerprint.allAttributes());
    }

    /**
     * Reads {@code table}, its fingerprints covering only {@code fingerprintAttributes}: the same
     * as the source's {@code fingerprintAttributes}. Scans then project only these and the key.
     *
     * @throws IllegalArgumentException if the table is blank or given twice, or no attribute is
     *     given
     */
    public Builder table(String table, String... fingerprintAttributes) {
      Objects.requireNonNull(fingerprintAttributes, "fingerprintAttributes");
      return put(table, ItemFingerprint.of(List.of(fingerprintAttributes)));
    }

    private Builder put(String table, ItemFingerprint fingerprint) {
      Objects.requireNonNull(table, "table");
      if (table.isBlank()) {
        throw new IllegalArgumentException("table must not be blank");
      }
      if (tables.putIfAbsent(table, fingerprint) != null) {
        throw new IllegalArgumentException("table " + table + " is given twice");
      }
      return this;
    }

    /** Parallel scan segments (and threads). Default 4; [1, 1000]. */
    public Builder segments(int segments) {
      if (segments < 1 || segments > 1000) {
        throw new IllegalArgumentException("segments must be in [1, 1000], was " + segments);
      }
      this.segments = segments;
      return this;
    }

    /**
     * Whether scans and point reads are strongly consistent. Default true; false halves the read
     * capacity a scan consumes, at the risk of reporting a just-written item as different (point
     * reads, which re-verify every difference, stay consistent).
     */
    public Builder consistentScans(boolean consistent) {
      this.consistent = consistent;
      return this;
    }

    /**
     * The most keys whose hash and fingerprint a run keeps (16 bytes each) to summarise later
     * levels without scanning again; a larger table is scanned once per level. Default 1,000,000
     * (16 MB); [0, 100,000,000].
     */
    public Builder maxKeysInMemory(long keys) {
      if (keys < 0 || keys > 100_000_000L) {
        throw new IllegalArgumentException(
            "maxKeysInMemory must be in [0, 100000000], was " + keys);
      }
      this.maxKeysInMemory = keys;
      return this;
    }

    /**
     * How long a scan's per-key table answers narrower summaries (the later levels of one run).
     * Default 10 min; (0, 1 day].
     */
    public Builder reuseScanFor(Duration duration) {
      Objects.requireNonNull(duration, "duration");
      if (duration.isNegative()
          || duration.isZero()
          || duration.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("reuseScanFor must be in (0, 1 day], was " + duration);
      }
      this.reuseScanFor = duration;
      return this;
    }

    /**
     * The {@code Limit} of each scan page, to spread a scan's read capacity over more requests.
     * Default none (DynamoDB's 1 MB pages); [1, 1,000,000].
     */
    public Builder scanPageLimit(int items) {
      if (items < 1 || items > 1_000_000) {
        throw new IllegalArgumentException("scanPageLimit must be in [1, 1000000], was " + items);
      }
      this.pageLimit = items;
      return this;
    }

    /** The clock that ages the per-key table. Default the system's UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The reader.
     *
     * @throws IllegalStateException naming the missing setting
     */
    public DynamoDbFingerprintReader build() {
      if (dynamoDb == null) {
        throw new IllegalStateException("dynamoDbClient is required");
      }
      if (tables.isEmpty()) {
        throw new IllegalStateException("table: at least one table is required");
      }
      return new DynamoDbFingerprintReader(this);
    }
  }
}
