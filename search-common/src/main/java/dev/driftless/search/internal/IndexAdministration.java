package dev.driftless.search.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.IndexMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.MetadataFields;
import dev.driftless.search.SearchSinkSettings;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a {@link SearchSink} does to indices rather than documents: resolving a collection to
 * its index (checking its mapping, or creating it with the merged mapping, and its live alias in
 * tombstone mode), truncation, refresh, tombstone purge and the atomic alias switch.
 *
 * <p>Thread-safe. Index resolution is cached; the cache is guarded by {@code lock} and only read
 * without it through a concurrent map.
 */
final class IndexAdministration {

  private static final Logger LOG = LoggerFactory.getLogger(IndexAdministration.class);

  private final SearchTransport transport;
  private final SearchSinkSettings settings;
  private final Map<String, String> indexByCollection = new ConcurrentHashMap<>();
  private final Object indexLock = new Object();

  // Guarded by indexLock.
  private final Map<String, String> collectionByIndex = new HashMap<>();

  IndexAdministration(SearchTransport transport, SearchSinkSettings settings) {
    this.transport = transport;
    this.settings = settings;
  }

  /** Forgets every checked index, so that each is checked (or created) again on next use. */
  void forget() {
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
    ObjectNode body = EngineJson.MAPPER.createObjectNode();
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
   * Removes every document of the index whose version is at most the truncation's; documents
   * written after it carry higher versions and stay ({@link Truncation}). The pipeline writes a
   * truncation alone, after everything before it settled.
   */
  WriteResult truncate(ChangeEvent.Truncate truncate, String index) {
    return new Truncation(transport).run(index, truncate.version().value());
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
    ObjectNode body = EngineJson.MAPPER.createObjectNode();
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
    ObjectNode body = EngineJson.MAPPER.createObjectNode();
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

  private static BodyWriter json(ObjectNode body) {
    return BodyWriter.json(body.toString().getBytes(StandardCharsets.UTF_8));
  }
}
