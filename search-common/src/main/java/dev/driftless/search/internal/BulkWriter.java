package dev.driftless.search.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.MetadataFields;
import dev.driftless.search.SearchSinkSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The write path of a {@link SearchSink}: a batch becomes {@code _bulk} requests, and each item's
 * answer a {@link WriteResult}.
 *
 * <p>Each batch is encoded once as NDJSON ({@link BulkEncoder}) and sent in order as one or more
 * requests of at most {@link SearchSinkSettings#maxRequestItems()} items and {@link
 * SearchSinkSettings#maxRequestBytes()} bytes (and under the engine's {@code
 * http.max_content_length}); a request the engine refuses as too large, or whose items exceed the
 * indexing memory limit, is split until single items, which are then Rejected. Truncations and
 * index resolution are {@link IndexAdministration}'s.
 *
 * <p>Thread-safe: the only state is the engine's request size limit, read once.
 */
final class BulkWriter {

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
  private final IndexAdministration indices;
  private volatile long engineMaxContentLength = -1;
  private volatile boolean engineLimitKnown;

  BulkWriter(SearchTransport transport, SearchSinkSettings settings, IndexAdministration indices) {
    this.transport = transport;
    this.settings = settings;
    this.indices = indices;
  }

  /**
   * One result per event, in order.
   *
   * @throws RetriableException if a whole request failed in a way that may heal
   * @throws ConfigurationException if the engine refuses the requests themselves (credentials)
   */
  List<WriteResult> write(List<ChangeEvent> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    @Nullable WriteResult[] results = new WriteResult[batch.size()];
    List<Item> items = new ArrayList<>(batch.size());
    Map<String, byte[]> indexFields = new HashMap<>();
    long now = settings.clock().millis();
    for (int i = 0; i < batch.size(); i++) {
      ChangeEvent event = batch.get(i);
      String index = indices.indexFor(event.key().collection());
      if (event instanceof ChangeEvent.Truncate truncate) {
        results[i] = indices.truncate(truncate, index);
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
        // The type, not the reason: engines word the reason "no such index [...]".
        if (error != null
            && "index_not_found_exception".equals(ResultClassifier.errorType(error))) {
          indices.forget();
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
}
