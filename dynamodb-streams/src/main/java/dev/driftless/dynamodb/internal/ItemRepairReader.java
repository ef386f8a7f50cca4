package dev.driftless.dynamodb.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The stream source's {@link RepairReader}: the current items of keys by consistent {@code
 * BatchGetItem} ({@link BatchGets}), each found item an upsert and each key without an item a
 * delete, versioned by the read rule ({@link ItemReads}; derived anchor with {@link
 * ItemReads#DEFAULT_MARGIN}). With the attribute strategy, a key without an item is deleted at the
 * version the index holds for it when an index was given to ask ({@code indexVersions}), else at
 * version 0 (see {@link ItemReads#missing}).
 *
 * <p>An id that no item of the table can have (not the canonical text of a key of the table's key
 * types) is a delete without a read. An item that cannot be read (a value of unknown type, a
 * missing or invalid version attribute) is left out with a warning, so the repair reports its key
 * as failed and its dead letter stays. Retries unprocessed keys and transient failures with the
 * pipeline's outage policy. Thread-safe; usable once the source started.
 */
public final class ItemRepairReader implements RepairReader {
  private static final Logger LOG = LoggerFactory.getLogger(ItemRepairReader.class);

  /** The position of re-read events (they never bear a commit). */
  static final SourcePosition POSITION = SourcePosition.ofOffset(0);

  private final DynamoDbClient dynamoDb;
  private final Set<String> tables;
  private final @Nullable String versionAttribute;
  private final ItemFingerprint fingerprint;
  private final @Nullable FingerprintReader indexVersions;
  private final Supplier<@Nullable SourceContext> context;
  private final BooleanSupplier closed;
  private final BatchGets gets;
  private final ReadCounters counters = new ReadCounters();
  private final ConcurrentMap<String, TableKeys> schemas = new ConcurrentHashMap<>();

  /**
   * @param context the started source's context (null before start)
   * @param closed whether the source was closed (ends retries)
   */
  public ItemRepairReader(
      DynamoDbClient dynamoDb,
      ReaderSettings settings,
      Supplier<@Nullable SourceContext> context,
      BooleanSupplier closed) {
    this.dynamoDb = dynamoDb;
    this.tables = Set.copyOf(settings.tables());
    this.versionAttribute = settings.versionAttribute();
    this.fingerprint = settings.fingerprint();
    this.indexVersions = settings.indexVersions();
    this.context = context;
    this.closed = closed;
    this.gets = new BatchGets(dynamoDb, counters);
  }

  /** What the repairs read so far. */
  public ReadCounters counters() {
    return counters;
  }

  @Override
  public List<ChangeEvent> readCurrent(Collection<DocumentKey> keys) throws Exception {
    Objects.requireNonNull(keys, "keys");
    SourceContext ctx = context.get();
    if (ctx == null) {
      throw new IllegalStateException("the source is not started");
    }
    Instant start = ctx.clock().instant();
    long anchor = ItemReads.anchor(start, ItemReads.DEFAULT_MARGIN);
    Map<String, List<DocumentKey>> byTable = new LinkedHashMap<>();
    for (DocumentKey key : keys) {
      if (!tables.contains(key.collection())) {
        throw new IllegalArgumentException(
            "collection '" + key.collection() + "' is not a table this source follows");
      }
      byTable.computeIfAbsent(key.collection(), t -> new ArrayList<>()).add(key);
    }
    List<ChangeEvent> events = new ArrayList<>(keys.size());
    for (Map.Entry<String, List<DocumentKey>> e : byTable.entrySet()) {
      events.addAll(read(e.getKey(), e.getValue(), ctx.outagePolicy(), start, anchor));
    }
    return events;
  }

  private List<ChangeEvent> read(
      String table, List<DocumentKey> keys, OutagePolicy policy, Instant start, long anchor)
      throws Exception {
    TableKeys schema = schema(table, policy);
    ItemReads reads = new ItemReads(schema.info(true), versionAttribute, fingerprint);
    Map<String, DocumentKey> wanted = new LinkedHashMap<>();
    List<Map<String, AttributeValue>> ask = new ArrayList<>();
    List<DocumentKey> missing = new ArrayList<>();
    Set<String> missingIds = new java.util.HashSet<>();
    for (DocumentKey key : keys) {
      if (wanted.containsKey(key.id())) {
        continue;
      }
      Optional<Map<String, AttributeValue>> dynamoKey = schema.keyOf(key.id());
      wanted.put(key.id(), key);
      if (dynamoKey.isPresent()) {
        ask.add(dynamoKey.get());
      } else {
        missing.add(key);
        missingIds.add(key.id());
      }
    }
    Map<String, String> metadata = Map.of(DynamoDbStreamsSource.METADATA_READ, "repair");
    List<ChangeEvent> events = new ArrayList<>(wanted.size());
    Map<String, Boolean> seen = new HashMap<>();
    for (Map<String, AttributeValue> item : gets.get(table, ask, null, policy, closed)) {
      DocumentKey key = reads.key(item);
      seen.put(key.id(), Boolean.TRUE);
      try {
        events.add(reads.upsert(item, anchor, POSITION, start, metadata));
      } catch (IllegalArgumentException unreadable) {
        LOG.warn(
            "repair of {} left out: the item cannot be read: {}", key, unreadable.getMessage());
      }
    }
    for (DocumentKey key : wanted.values()) {
      if (!seen.containsKey(key.id()) && !missingIds.contains(key.id())) {
        missing.add(key);
      }
    }
    Map<String, Long> held = indexVersionsOf(table, missing);
    for (DocumentKey key : missing) {
      Long v = held.get(key.id());
      events.add(
          reads.missing(
              key,
              anchor,
              v == null ? OptionalLong.empty() : OptionalLong.of(v),
              POSITION,
              start,
              metadata));
    }
    return events;
  }

  /** With the attribute strategy and an index to ask: the versions it holds of {@code keys}. */
  private Map<String, Long> indexVersionsOf(String table, List<DocumentKey> keys) throws Exception {
    FingerprintReader index = indexVersions;
    if (versionAttribute == null || index == null || keys.isEmpty()) {
      return Map.of();
    }
    List<String> ids = new ArrayList<>(keys.size());
    for (DocumentKey k : keys) {
      ids.add(k.id());
    }
    Map<String, Long> versions = new HashMap<>();
    for (FingerprintReader.KeyFingerprint f : index.read(table, ids)) {
      if (f.version().isPresent()) {
        versions.put(f.key().id(), f.version().getAsLong());
      }
    }
    return versions;
  }

  private TableKeys schema(String table, OutagePolicy policy) throws Exception {
    TableKeys known = schemas.get(table);
    if (known != null) {
      return known;
    }
    TableKeys described =
        policy.call(
            "DynamoDB DescribeTable of " + table,
            closed,
            () -> {
              try {
                return TableKeys.describe(dynamoDb, table);
              } catch (RuntimeException e) {
                if (AwsErrors.isTransient(e)) {
                  throw new RetriableException("DescribeTable " + table + " failed: " + e, e);
                }
                throw e;
              }
            });
    schemas.putIfAbsent(table, described);
    return described;
  }
}
