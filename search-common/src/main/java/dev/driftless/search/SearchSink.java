package dev.driftless.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.RetriableException;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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

  /**
   * Asks the engine to answer a {@code _bulk} request with only what {@link #settleItems} and
   * {@link ResultClassifier} read: each item's status and error, and a whole-request error. The
   * full answer repeats index, id, version, shard counts, sequence number and primary term for
   * every item (about 200 bytes each), which the engine would serialise and the sink parse for
   * nothing. {@code filter_path} is a generic REST parameter of every Elasticsearch and OpenSearch
   * version we support.
   */
  static final Map<String, String> BULK_PARAMS =
      Map.of("filter_path", "errors,items.*.status,items.*.error,error,status");

  private final SearchTransport transport;
  private final SearchSinkSettings settings;
  private final Map<String, String> indexByCollection = new ConcurrentHashMap<>();
  private final Map<String, String> collectionByIndex = new HashMap<>();
  private final Object indexLock = new Object();
  private @Nullable ScheduledExecutorService purger;
  private volatile boolean closed;
  private volatile long engineMaxContentLength = -1;
  private volatile boolean engineLimitKnown;

  /** A sink writing through {@code transport}. The sink closes the transport when it is closed. */
  public SearchSink(SearchTransport transport, SearchSinkSettings settings) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.settings = Objects.requireNonNull(settings, "settings");
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
      synchronized (indexLock) {
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
    if (batch.isEmpty()) {
      return List.of();
    }
    if (closed) {
      throw new IllegalStateException("sink is closed");
    }
    @Nullable WriteResult[] results = new WriteResult[batch.size()];
    List<Item> items = new ArrayList<>(batch.size());
    Map<String, byte[]> indexFields = new HashMap<>();
    long now = settings.clock().millis();
    for (int i = 0; i < batch.size(); i++) {
      ChangeEvent event = batch.get(i);
      String index = indexFor(event.key().collection());
      if (event instanceof ChangeEvent.Truncate truncate) {
        results[i] = truncate(truncate, index);
        continue;
      }
      WriteResult local = precheck(event);
      if (local != null) {
        results[i] = local;
        continue;
      }
      // Action lines are encoded without _index: a request whose items all go to one index is
      // sent to POST /<index>/_bulk, which spares the engine parsing the index name once per
      // document; a request mixing indices gets "_index" put back into each action line.
      items.add(
          new Item(
              i,
              event instanceof ChangeEvent.Delete && !settings.tombstones(),
              BulkEncoder.encode(event, null, settings.tombstones(), now),
              index,
              indexFields.computeIfAbsent(index, BulkEncoder::indexField)));
    }
    long limit = requestByteLimit();
    List<Item> chunk = new ArrayList<>();
    long chunkBytes = 0;
    for (Item item : items) {
      // Sized as if the request mixed indices: an upper bound of what is sent.
      long size = (long) item.bytes.length + item.indexField.length;
      if (engineMaxContentLength > 0 && size > engineMaxContentLength) {
        // The engine would cut the connection mid-upload (seen as an outage, retried forever):
        // such an item can never be written, so it is poison.
        results[item.index] =
            WriteResult.rejected(
                "request_entity_too_large",
                "the document's bulk entry is "
                    + size
                    + " bytes, over the engine's http.max_content_length of "
                    + engineMaxContentLength
                    + " bytes");
        continue;
      }
      if (!chunk.isEmpty()
          && (chunk.size() >= settings.maxRequestItems() || chunkBytes + size > limit)) {
        send(chunk, results);
        chunk = new ArrayList<>();
        chunkBytes = 0;
      }
      chunk.add(item);
      chunkBytes += size;
    }
    if (!chunk.isEmpty()) {
      send(chunk, results);
    }
    List<WriteResult> out = new ArrayList<>(results.length);
    for (WriteResult r : results) {
      out.add(Objects.requireNonNull(r, "every item has a result"));
    }
    return out;
  }

  /**
   * The smaller of {@link SearchSinkSettings#maxRequestBytes()} and the engine's {@code
   * http.max_content_length} (read once from {@code _nodes/http}; a body over it makes the engine
   * close the connection while the client is still sending, which looks like an outage).
   */
  private long requestByteLimit() {
    if (!engineLimitKnown) {
      TransportResponse r =
          transport.perform(
              "GET",
              "/_nodes/http",
              Map.of("filter_path", "nodes.*.http.max_content_length_in_bytes"),
              null);
      long min = -1;
      JsonNode root = r.isSuccess() ? ResultClassifier.parseQuietly(r.body()) : null;
      if (root != null) {
        for (JsonNode node : root.path("nodes")) {
          long v = node.path("http").path("max_content_length_in_bytes").asLong(-1);
          if (v > 0 && (min < 0 || v < min)) {
            min = v;
          }
        }
      }
      // Without the monitor privilege the limit stays unknown; the configured bound applies.
      engineMaxContentLength = min;
      engineLimitKnown = true;
    }
    long engine = engineMaxContentLength;
    // Leave room for the request line and headers under the engine's limit.
    return engine > 0
        ? Math.min(settings.maxRequestBytes(), engine - 1024)
        : settings.maxRequestBytes();
  }

  private static @Nullable WriteResult precheck(ChangeEvent event) {
    if (event instanceof ChangeEvent.Upsert upsert) {
      // Look the eight names up in the document rather than each of its fields up in the names:
      // documents usually have more fields, and this runs for every event written.
      Map<String, ?> fields = upsert.document().fields();
      for (String field : MetadataFields.NAMES) {
        if (fields.containsKey(field)) {
          return WriteResult.rejected(
              "reserved_field",
              "document field '" + field + "' is a Driftless metadata field name");
        }
      }
    }
    return null;
  }

  private void send(List<Item> chunk, @Nullable WriteResult[] results) {
    List<byte[]> bodies = new ArrayList<>(chunk.size());
    String target = chunk.get(0).target;
    boolean oneIndex = true;
    for (Item item : chunk) {
      bodies.add(item.bytes);
      oneIndex &= item.target.equals(target);
    }
    TransportResponse response;
    if (oneIndex) {
      response =
          transport.perform(
              "POST",
              "/" + SearchTransport.pathSegment(target) + "/_bulk",
              BULK_PARAMS,
              BulkEncoder.body(bodies));
    } else {
      List<byte[]> indexFields = new ArrayList<>(chunk.size());
      for (Item item : chunk) {
        indexFields.add(item.indexField);
      }
      response =
          transport.perform("POST", "/_bulk", BULK_PARAMS, BulkEncoder.body(bodies, indexFields));
    }
    if (response.isSuccess()) {
      settleItems(chunk, response, results);
      return;
    }
    switch (ResultClassifier.classifyRequest(response)) {
      case RETRY_THROTTLED ->
          throw new RetriableException(
              "bulk request throttled: " + ResultClassifier.describe(response), null, true);
      case RETRY ->
          throw new RetriableException(
              "bulk request failed: " + ResultClassifier.describe(response), null, false);
      case FATAL ->
          // Not the events' fault: a pipeline must stop, not dead-letter its whole stream.
          throw new ConfigurationException(
              "bulk request refused (check credentials and privileges): "
                  + ResultClassifier.describe(response));
      case SPLIT -> {
        if (chunk.size() == 1) {
          String type =
              response.status() == 413
                  ? "request_entity_too_large"
                  : Objects.requireNonNullElse(
                      ResultClassifier.errorType(response), "http_" + response.status());
          results[chunk.get(0).index] =
              WriteResult.rejected(type, ResultClassifier.describe(response));
          return;
        }
        sendInHalves(chunk, results);
      }
    }
  }

  private void settleItems(
      List<Item> chunk, TransportResponse response, @Nullable WriteResult[] results) {
    if (ResultClassifier.allApplied(response.body(), chunk.size())) {
      // The common case, read without building a tree of a thousand items.
      for (Item item : chunk) {
        results[item.index] = WriteResult.applied();
      }
      return;
    }
    JsonNode root = ResultClassifier.parseQuietly(response.body());
    JsonNode itemsNode = root == null ? null : root.get("items");
    if (itemsNode == null || !itemsNode.isArray() || itemsNode.size() != chunk.size()) {
      throw new RetriableException(
          "bulk response does not hold one item per action ("
              + chunk.size()
              + " sent): "
              + response,
          null,
          false);
    }
    List<Item> overLimit = new ArrayList<>();
    for (int i = 0; i < chunk.size(); i++) {
      Item item = chunk.get(i);
      JsonNode wrapper = itemsNode.get(i);
      JsonNode result = wrapper.elements().hasNext() ? wrapper.elements().next() : wrapper;
      JsonNode error = result.get("error");
      WriteResult r =
          ResultClassifier.classifyItem(item.delete, result.path("status").asInt(500), error);
      if (r instanceof WriteResult.Retry retry) {
        if (retry.reason().contains("index_not_found_exception")) {
          forgetIndices();
        }
        if (ResultClassifier.exceedsIndexingLimit(retry.reason())) {
          if (chunk.size() == 1) {
            // Alone and still over the node's indexing memory limit: it can never be indexed.
            String type = error == null ? null : ResultClassifier.errorType(error);
            r = WriteResult.rejected(Objects.requireNonNullElse(type, "http_429"), retry.reason());
          } else {
            overLimit.add(item);
          }
        }
      }
      results[item.index] = r;
    }
    if (overLimit.isEmpty()) {
      return;
    }
    // A shard's part of this request was over the node's indexing memory limit by itself (a node
    // other than the one answering may have a smaller heap): waiting cannot help, smaller requests
    // can. Each call gets a strictly smaller list, so this ends with single items.
    if (overLimit.size() < chunk.size()) {
      send(overLimit, results);
    } else {
      sendInHalves(chunk, results);
    }
  }

  private void sendInHalves(List<Item> chunk, @Nullable WriteResult[] results) {
    int half = chunk.size() / 2;
    send(chunk.subList(0, half), results);
    send(chunk.subList(half, chunk.size()), results);
  }

  private void forgetIndices() {
    // The index vanished (deleted by hand); check or create it again before the retry.
    synchronized (indexLock) {
      indexByCollection.clear();
      collectionByIndex.clear();
    }
  }

  /**
   * The index (or alias) {@code collection} is written to, checked or created on first use.
   *
   * @throws DriftlessException if the index is unusable or already used by another collection
   */
  public String indexFor(String collection) {
    String known = indexByCollection.get(collection);
    if (known != null) {
      return known;
    }
    synchronized (indexLock) {
      known = indexByCollection.get(collection);
      if (known != null) {
        return known;
      }
      String index;
      try {
        index = IndexRouting.validateName(settings.routing().indexFor(collection));
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException(
            "routing gives an invalid index name for collection '"
                + collection
                + "': "
                + e.getMessage(),
            e);
      }
      String owner = collectionByIndex.get(index);
      if (owner != null && !owner.equals(collection)) {
        throw new ConfigurationException(
            "routing sends collections '"
                + owner
                + "' and '"
                + collection
                + "' to the same index ["
                + index
                + "]; each collection needs its own index");
      }
      ensureIndex(collection, index);
      if (settings.tombstones()) {
        ensureLiveAlias(index);
      }
      collectionByIndex.put(index, collection);
      indexByCollection.put(collection, index);
      return index;
    }
  }

  /** The name readers should search for {@code collection}: the live alias in tombstone mode. */
  public String readTargetFor(String collection) {
    String index = IndexRouting.validateName(settings.routing().indexFor(collection));
    return settings.tombstones() ? index + settings.liveAliasSuffix() : index;
  }

  private void ensureIndex(String collection, String index) {
    String path = "/" + SearchTransport.pathSegment(index) + "/_mapping";
    TransportResponse mapping = transport.perform("GET", path, Map.of(), null);
    if (mapping.status() == 404) {
      byte[] body = settings.mappingFor(collection).createIndexBody(settings.indexSettingsJson());
      TransportResponse created =
          transport.perform(
              "PUT", "/" + SearchTransport.pathSegment(index), Map.of(), BodyWriter.json(body));
      if (created.isSuccess()) {
        LOG.info("created index [{}] for collection '{}'", index, collection);
        return;
      }
      if (!"resource_already_exists_exception".equals(ResultClassifier.errorType(created))) {
        throw configurationUnlessTransient(
            ResultClassifier.failure("creating index [" + index + "]", created));
      }
      mapping = transport.perform("GET", path, Map.of(), null);
    }
    if (!mapping.isSuccess()) {
      throw configurationUnlessTransient(
          ResultClassifier.failure("reading the mapping of [" + index + "]", mapping));
    }
    List<String> problems = IndexMapping.validate(mapping.body());
    if (!problems.isEmpty()) {
      throw new ConfigurationException(
          "refusing to write collection '"
              + collection
              + "' to existing index ["
              + index
              + "]: "
              + String.join("; ", problems)
              + ". Driftless never changes an existing mapping: add the fields with PUT"
              + " _mapping, or route the collection to a new index that Driftless creates.");
    }
  }

  /** A failure to set an index up: retried if transient, otherwise the pipeline must stop. */
  private static DriftlessException configurationUnlessTransient(DriftlessException failure) {
    return failure instanceof RetriableException
        ? failure
        : new ConfigurationException(String.valueOf(failure.getMessage()), failure);
  }

  private void ensureLiveAlias(String index) {
    String alias = index + settings.liveAliasSuffix();
    TransportResponse existing =
        transport.perform("GET", "/_alias/" + SearchTransport.pathSegment(alias), Map.of(), null);
    if (existing.isSuccess()) {
      return;
    }
    if (existing.status() != 404) {
      throw ResultClassifier.failure("reading alias [" + alias + "]", existing);
    }
    ObjectNode body = IndexMapping.JSON.createObjectNode();
    ObjectNode add = body.putArray("actions").addObject().putObject("add");
    add.put("index", index);
    add.put("alias", alias);
    add.putObject("filter")
        .putObject("bool")
        .putArray("must_not")
        .addObject()
        .putObject("term")
        .put(MetadataFields.TOMBSTONE, true);
    TransportResponse created = transport.perform("POST", "/_aliases", Map.of(), json(body));
    if (!created.isSuccess()) {
      throw ResultClassifier.failure("creating alias [" + alias + "]", created);
    }
    LOG.info("created alias [{}] hiding tombstones of [{}]", alias, index);
  }

  /**
   * Reads what the index holds for {@code key}, in real time. Tombstones are returned with {@link
   * StoredDocument#tombstone()} set.
   */
  public Optional<StoredDocument> get(DocumentKey key) {
    String index = indexFor(key.collection());
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
    boolean tombstone = source.path(MetadataFields.TOMBSTONE).asBoolean(false);
    return Optional.of(new StoredDocument(key, Version.of(version), document, tombstone));
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
    String index = indexFor(collection);
    TransportResponse r =
        transport.perform(
            "POST", "/" + SearchTransport.pathSegment(index) + "/_refresh", Map.of(), null);
    if (!r.isSuccess()) {
      throw ResultClassifier.failure("refreshing [" + index + "]", r);
    }
  }

  /**
   * Removes every document of the index whose version is at most the truncation's: a refresh, then
   * {@code _delete_by_query} (documents written after the truncation carry higher versions and
   * stay). The pipeline writes a truncation alone, after everything before it settled.
   */
  private WriteResult truncate(ChangeEvent.Truncate truncate, String index) {
    // _delete_by_query finds documents by search: make every acknowledged write searchable first.
    TransportResponse refreshed =
        transport.perform(
            "POST", "/" + SearchTransport.pathSegment(index) + "/_refresh", Map.of(), null);
    if (refreshed.status() == 404) {
      return WriteResult.applied(); // nothing was ever indexed
    }
    if (!refreshed.isSuccess()) {
      throw ResultClassifier.failure("refreshing [" + index + "] before truncating it", refreshed);
    }
    ObjectNode body = IndexMapping.JSON.createObjectNode();
    body.putObject("query")
        .putObject("range")
        .putObject(MetadataFields.VERSION)
        .put("lte", truncate.version().value());
    TransportResponse r =
        transport.perform(
            "POST",
            "/" + SearchTransport.pathSegment(index) + "/_delete_by_query",
            Map.of("conflicts", "proceed", "refresh", "true"),
            json(body));
    if (r.status() == 404) {
      return WriteResult.applied(); // nothing was ever indexed
    }
    if (!r.isSuccess()) {
      throw ResultClassifier.failure("truncating [" + index + "]", r);
    }
    JsonNode root = ResultClassifier.parseQuietly(r.body());
    if (root != null && root.path("failures").size() > 0) {
      throw new dev.driftless.core.RetriableException(
          "truncating [" + index + "] left failures: " + root.path("failures").get(0));
    }
    LOG.info(
        "truncated [{}] up to version {}: {} documents deleted",
        index,
        truncate.version(),
        root == null ? "?" : root.path("deleted").asText());
    return WriteResult.applied();
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
    if (!settings.tombstones()) {
      return 0;
    }
    long total = 0;
    for (String collection : List.copyOf(indexByCollection.keySet())) {
      total += purgeTombstones(collection);
    }
    return total;
  }

  /** {@link #purgeTombstones()} for one collection. */
  public long purgeTombstones(String collection) {
    if (!settings.tombstones()) {
      return 0;
    }
    String index = indexFor(collection);
    long cutoff = settings.clock().millis() - settings.tombstoneHorizon().toMillis();
    ObjectNode body = IndexMapping.JSON.createObjectNode();
    ObjectNode bool = body.putObject("query").putObject("bool");
    var filter = bool.putArray("filter");
    filter.addObject().putObject("term").put(MetadataFields.TOMBSTONE, true);
    filter
        .addObject()
        .putObject("range")
        .putObject(MetadataFields.DELETED_AT)
        .put("lt", cutoff)
        .put("format", "epoch_millis");
    TransportResponse r =
        transport.perform(
            "POST",
            "/" + SearchTransport.pathSegment(index) + "/_delete_by_query",
            Map.of("conflicts", "proceed", "refresh", "true"),
            json(body));
    if (!r.isSuccess()) {
      throw ResultClassifier.failure("purging tombstones of [" + index + "]", r);
    }
    JsonNode root = ResultClassifier.parseQuietly(r.body());
    return root == null ? 0 : root.path("deleted").asLong(0);
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
    IndexRouting.validateName(alias);
    IndexRouting.validateName(index);
    TransportResponse current =
        transport.perform("GET", "/_alias/" + SearchTransport.pathSegment(alias), Map.of(), null);
    if (!current.isSuccess() && current.status() != 404) {
      throw ResultClassifier.failure("reading alias [" + alias + "]", current);
    }
    ObjectNode body = IndexMapping.JSON.createObjectNode();
    var actions = body.putArray("actions");
    JsonNode holders = current.isSuccess() ? ResultClassifier.parseQuietly(current.body()) : null;
    if (holders != null) {
      holders
          .fieldNames()
          .forEachRemaining(
              holder -> {
                if (!holder.equals(index)) {
                  ObjectNode remove = actions.addObject().putObject("remove");
                  remove.put("index", holder);
                  remove.put("alias", alias);
                }
              });
    }
    ObjectNode add = actions.addObject().putObject("add");
    add.put("index", index);
    add.put("alias", alias);
    TransportResponse switched = transport.perform("POST", "/_aliases", Map.of(), json(body));
    if (!switched.isSuccess()) {
      throw ResultClassifier.failure("pointing alias [" + alias + "] at [" + index + "]", switched);
    }
    LOG.info("alias [{}] now points at [{}] only", alias, index);
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
    synchronized (indexLock) {
      s = purger;
      purger = null;
    }
    if (s != null) {
      s.shutdownNow();
    }
    transport.close();
  }

  /**
   * One encoded event: {@code bytes} without {@code _index}, {@code target} the index it goes to,
   * {@code indexField} the {@code "_index"} member to put back when a request mixes indices.
   */
  private record Item(int index, boolean delete, byte[] bytes, String target, byte[] indexField) {
    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Item other
          && index == other.index
          && delete == other.delete
          && target.equals(other.target)
          && Arrays.equals(bytes, other.bytes)
          && Arrays.equals(indexField, other.indexField);
    }

    @Override
    public int hashCode() {
      return index;
    }

    @Override
    public String toString() {
      return "Item[" + index + "]";
    }
  }

  private static BodyWriter json(ObjectNode body) {
    return BodyWriter.json(body.toString().getBytes(StandardCharsets.UTF_8));
  }
}
