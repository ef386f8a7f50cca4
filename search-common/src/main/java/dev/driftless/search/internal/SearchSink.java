package dev.driftless.search.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.RetriableException;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.EngineIds;
import dev.driftless.search.IndexMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.MetadataFields;
import dev.driftless.search.SearchSinkSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VersionedSink} for Elasticsearch and OpenSearch, over any {@link SearchTransport}.
 *
 * <h2>Writes</h2>
 *
 * <p>Each batch is encoded once as NDJSON ({@link BulkEncoder}) and sent in order as one or more
 * {@code _bulk} requests of at most {@link SearchSinkSettings#maxRequestItems()} items and {@link
 * SearchSinkSettings#maxRequestBytes()} bytes (an item larger than that goes alone): {@code POST
 * /<index>/_bulk} when every item of the request goes to one index, otherwise {@code POST /_bulk}
 * with {@code _index} in each action line. The engine answers with only each item's status and
 * error ({@code filter_path}). Every action carries the event's version with {@code
 * version_type=external_gte}, so the engine itself refuses older versions. Results follow {@link
 * ResultClassifier}. A document using a {@linkplain MetadataFields metadata field} name is Rejected
 * without being sent. Every key is written, read and deleted under its {@link EngineIds engine id}:
 * an empty key id, or one over the engines' 512-byte {@code _id} limit, is stored like any other.
 *
 * <h2>Indices</h2>
 *
 * <p>The first time a collection is seen (or at {@link #start} for {@link
 * SearchSinkSettings#collections()}), its index is checked: if absent, it is created with the
 * merged mapping ({@link IndexMapping}); if present, its metadata fields must exist with the right
 * types, otherwise the sink refuses it with a {@link DriftlessException} naming every problem. It
 * never changes an existing mapping. In tombstone mode the filtered alias {@code index +
 * liveAliasSuffix} is created when missing.
 *
 * <h2>Threading and failures</h2>
 *
 * <p>Thread-safe: {@link #write} may be called concurrently. Methods block on I/O. Failures that
 * may heal are thrown as {@link RetriableException} (with {@code throttled} for 429 and rejected
 * execution); configuration problems (bad existing mapping, two collections routed to one index,
 * wrong credentials) as {@link DriftlessException}. A batch that threw may have been partly
 * applied; writing it again is safe (idempotence).
 */
public final class SearchSink implements VersionedSink {

  private static final Logger LOG = LoggerFactory.getLogger(SearchSink.class);
  private final SearchTransport transport;
  private final SearchSinkSettings settings;
  private final IndexAdministration indices;
  private final BulkWriter writer;
  private final Object purgerLock = new Object();

  // Guarded by purgerLock.
  private @Nullable ScheduledExecutorService purger;

  private volatile boolean closed;

  /** A sink writing through {@code transport}. The sink closes the transport when it is closed. */
  public SearchSink(SearchTransport transport, SearchSinkSettings settings) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.indices = new IndexAdministration(transport, settings);
    this.writer = new BulkWriter(transport, settings, indices);
  }

  /** The settings this sink runs with. */
  public SearchSinkSettings settings() {
    return settings;
  }

  /**
   * Checks or creates the indices of {@link SearchSinkSettings#collections()} and starts the
   * tombstone purge schedule, if any.
   *
   * @throws DriftlessException if an existing index lacks the metadata fields
   */
  @Override
  public void start(SinkContext context) {
    for (String collection : settings.collections()) {
      indexFor(collection);
    }
    Duration interval = settings.tombstonePurgeInterval();
    if (interval != null) {
      synchronized (purgerLock) {
        if (purger == null) {
          ScheduledExecutorService s =
              Executors.newSingleThreadScheduledExecutor(
                  r -> {
                    Thread t = new Thread(r, "driftless-tombstone-purge");
                    t.setDaemon(true);
                    return t;
                  });
          s.scheduleWithFixedDelay(
              this::purgeQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
          purger = s;
        }
      }
    }
  }

  private void purgeQuietly() {
    try {
      long purged = purgeTombstones();
      LOG.debug("purged {} tombstones", purged);
    } catch (RuntimeException e) {
      LOG.warn("tombstone purge failed; will try again at the next interval", e);
    }
  }

  @Override
  public List<WriteResult> write(List<ChangeEvent> batch) {
    if (closed) {
      throw new IllegalStateException("sink is closed");
    }
    return writer.write(batch);
  }

  /**
   * The index (or alias) {@code collection} is written to, checked or created on first use.
   *
   * @throws DriftlessException if the index is unusable or already used by another collection
   */
  public String indexFor(String collection) {
    return indices.indexFor(collection);
  }

  /** The name readers should search for {@code collection}: the live alias in tombstone mode. */
  public String readTargetFor(String collection) {
    return indices.readTargetFor(collection);
  }

  /**
   * Reads what the index holds for {@code key}, in real time: the document without the metadata
   * fields, carrying its row fingerprint when one was written. Tombstones are returned as {@link
   * StoredDocument#deletedAt deleted markers}.
   */
  public Optional<StoredDocument> get(DocumentKey key) {
    String index = indices.indexFor(key.collection());
    TransportResponse r =
        transport.perform(
            "GET",
            "/"
                + SearchTransport.pathSegment(index)
                + "/_doc/"
                + SearchTransport.pathSegment(EngineIds.of(key.id())),
            Map.of(),
            null);
    if (r.status() == 404) {
      return Optional.empty();
    }
    if (!r.isSuccess()) {
      throw ResultClassifier.failure("reading " + key, r);
    }
    JsonNode root = ResultClassifier.parseQuietly(r.body());
    if (root == null || !root.path("found").asBoolean(false)) {
      return Optional.empty();
    }
    long version = root.path("_version").asLong();
    JsonNode source = root.path("_source");
    Map<String, @Nullable Object> fields = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (!MetadataFields.NAMES.contains(field.getKey())) {
        fields.put(field.getKey(), toValue(field.getValue()));
      }
    }
    Document document = Document.of(fields);
    if (source.has(MetadataFields.FP_LOW)) {
      long f =
          Fingerprints.join(
              source.path(MetadataFields.FP_LOW).asLong(),
              source.path(MetadataFields.FP_MID).asLong(),
              source.path(MetadataFields.FP_HIGH).asLong());
      document = document.withFingerprint(f ^ Fingerprints.keyHash(key.id()));
    }
    if (source.path(MetadataFields.TOMBSTONE).asBoolean(false)) {
      return Optional.of(StoredDocument.deletedAt(Version.of(version)));
    }
    return Optional.of(StoredDocument.live(Version.of(version), document));
  }

  /**
   * A JSON value as the JDK values a {@link Document} holds, read the way {@link
   * dev.driftless.core.DocumentJson} reads them: integers as {@link Long} (or {@link
   * java.math.BigInteger} when too large), other numbers as {@link java.math.BigDecimal}.
   */
  private static @Nullable Object toValue(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
    }
    if (node.isNumber()) {
      return node.decimalValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isArray()) {
      List<@Nullable Object> list = new ArrayList<>(node.size());
      for (JsonNode item : node) {
        list.add(toValue(item));
      }
      return list;
    }
    if (node.isObject()) {
      Map<String, @Nullable Object> map = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        map.put(e.getKey(), toValue(e.getValue()));
      }
      return map;
    }
    return null;
  }

  /** Makes every write so far visible to search in {@code collection}'s index. */
  public void refresh(String collection) {
    indices.refresh(collection);
  }

  /**
   * Deletes tombstones older than {@link SearchSinkSettings#tombstoneHorizon()} in every index this
   * sink has written to or prepared, with {@code _delete_by_query}. After a purge the engine no
   * longer remembers those deletions' versions: an event older than the deletion that arrives after
   * the horizon would be applied, so choose a horizon longer than any replay.
   *
   * @return the number of tombstones deleted
   */
  public long purgeTombstones() {
    return indices.purgeTombstones();
  }

  /** {@link #purgeTombstones()} for one collection. */
  public long purgeTombstones(String collection) {
    return indices.purgeTombstones(collection);
  }

  /**
   * Points {@code alias} at {@code index} and at nothing else, atomically: one {@code _aliases}
   * request removes the alias from every index that holds it and adds it to {@code index}, so a
   * search on the alias sees the old index or the new one, never neither and never both. This is
   * the switch of a blue/green re-index (see {@code docs/operations.md}): route a second pipeline
   * to a new concrete index, let it catch up, switch the alias readers search, stop the first.
   *
   * <p>Routing guidance: pipelines write to concrete indices ({@link IndexRouting} gives {@code
   * products_v1}, {@code products_v2}); only readers use the alias. An alias that points at one
   * index can be written through, but then the switch would also move the old pipeline's writes.
   *
   * <p>Blocks on two requests (reading where the alias points, then the switch). An alias added to
   * another index between the two by someone else stays there; the switch itself is atomic.
   * Idempotent.
   *
   * @throws IllegalArgumentException if a name is not a valid index or alias name
   * @throws DriftlessException if the engine refuses, e.g. {@code index} does not exist or {@code
   *     alias} is the name of an index
   * @throws dev.driftless.core.RetriableException if the engine cannot be reached
   */
  public void switchAlias(String alias, String index) {
    indices.switchAlias(alias, index);
  }

  /** The index side of reconciliation for the collections this sink writes. */
  public FingerprintReader fingerprintReader() {
    return new IndexFingerprintReader(
        transport,
        collection -> IndexRouting.validateName(settings.routing().indexFor(collection)),
        settings.listPageSize());
  }

  /** Stops the purge schedule and closes the transport. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ScheduledExecutorService s;
    synchronized (purgerLock) {
      s = purger;
      purger = null;
    }
    if (s != null) {
      s.shutdownNow();
    }
    transport.close();
  }
}
