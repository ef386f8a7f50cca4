package dev.driftless.search.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.WriteResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A truncation: every document of an index whose version is at most the truncation's is deleted,
 * and documents written after it (higher versions) stay.
 *
 * <p>The engines cannot search on {@code _version}, and documents carry no copy of it (issue 17: a
 * {@code driftless_version} field cost 14 MB per million documents to serve this rare event). So
 * the index is listed with a scroll ({@code _source: false}, {@code version: true}, in index order)
 * and each listed document at or below the truncation's version gets a <em>versioned</em> delete
 * ({@code version_type: external_gte} at the truncation's version). The engine applies such a
 * delete only if the document's version is still at most the truncation's, so a newer write that
 * lands between the listing and the delete survives (its delete answers 409), and the deletion's
 * version then rejects late events up to the truncation's version as long as the engine remembers
 * deletes. Documents written before issue 17 (which still carry {@code driftless_version}) are
 * treated the same way, by their {@code _version}, which external versioning keeps equal to it.
 *
 * <p>Idempotent: a truncation retried after a failure lists again and deletes what is left.
 */
final class Truncation {

  private static final Logger LOG = LoggerFactory.getLogger(Truncation.class);

  /** Documents per scroll page, and deletes per {@code _bulk} request. */
  static final int PAGE = 1000;

  private static final String KEEP_ALIVE = "2m";

  private final SearchTransport transport;

  Truncation(SearchTransport transport) {
    this.transport = transport;
  }

  /** Deletes the documents of {@code index} at or below {@code version}. */
  WriteResult run(String index, long version) {
    String path = "/" + SearchTransport.pathSegment(index);
    // A scroll finds documents by search: make every acknowledged write searchable first.
    TransportResponse refreshed = transport.perform("POST", path + "/_refresh", Map.of(), null);
    if (refreshed.status() == 404) {
      return WriteResult.applied(); // nothing was ever indexed
    }
    if (!refreshed.isSuccess()) {
      throw ResultClassifier.failure("refreshing [" + index + "] before truncating it", refreshed);
    }
    ObjectNode query = EngineJson.MAPPER.createObjectNode();
    query.put("size", PAGE);
    query.put("_source", false);
    query.put("version", true);
    query.putArray("sort").add("_doc");
    TransportResponse page =
        transport.perform("POST", path + "/_search", Map.of("scroll", KEEP_ALIVE), json(query));
    if (page.status() == 404) {
      return WriteResult.applied();
    }
    long listed = 0;
    long deleted = 0;
    String scrollId = null;
    try {
      while (true) {
        if (!page.isSuccess()) {
          throw ResultClassifier.failure("listing [" + index + "] to truncate it", page);
        }
        JsonNode root = parse(page, "listing [" + index + "] to truncate it");
        scrollId = textOrNull(root.get("_scroll_id"));
        JsonNode hits = root.path("hits").path("hits");
        if (hits.isEmpty()) {
          break;
        }
        List<byte[]> deletes = new ArrayList<>(hits.size());
        for (JsonNode hit : hits) {
          listed++;
          JsonNode v = hit.get("_version");
          if (v == null || !v.canConvertToLong()) {
            throw new DriftlessException(
                "truncating ["
                    + index
                    + "]: the engine listed a document without _version: "
                    + hit);
          }
          if (v.asLong() <= version) {
            deletes.add(
                BulkEncoder.delete(
                    hit.path("_index").asText(index), hit.path("_id").asText(), version));
          }
        }
        deleted += deleteAll(index, deletes);
        if (scrollId == null) {
          throw new RetriableException(
              "listing [" + index + "] to truncate it: the engine returned no scroll id",
              null,
              false);
        }
        ObjectNode next = EngineJson.MAPPER.createObjectNode();
        next.put("scroll", KEEP_ALIVE);
        next.put("scroll_id", scrollId);
        page = transport.perform("POST", "/_search/scroll", Map.of(), json(next));
      }
    } finally {
      clear(scrollId);
    }
    // Deleted documents leave searches at the next refresh; make the truncation visible now.
    TransportResponse after = transport.perform("POST", path + "/_refresh", Map.of(), null);
    if (!after.isSuccess() && after.status() != 404) {
      throw ResultClassifier.failure("refreshing [" + index + "] after truncating it", after);
    }
    LOG.info(
        "truncated [{}] up to version {}: {} documents listed, {} deleted, {} newer kept",
        index,
        version,
        listed,
        deleted,
        listed - deleted);
    return WriteResult.applied();
  }

  /**
   * Sends the versioned deletes; returns how many deleted (a 409 means the document was written
   * again after the listing, with a newer version: it stays).
   */
  private int deleteAll(String index, List<byte[]> deletes) {
    if (deletes.isEmpty()) {
      return 0;
    }
    int length = 0;
    for (byte[] d : deletes) {
      length += d.length;
    }
    byte[] body = new byte[length];
    int at = 0;
    for (byte[] d : deletes) {
      System.arraycopy(d, 0, body, at, d.length);
      at += d.length;
    }
    TransportResponse r =
        transport.perform(
            "POST", "/_bulk", Map.of(), new BodyWriter.Bytes(body, BodyWriter.NDJSON));
    if (!r.isSuccess()) {
      throw ResultClassifier.failure("deleting truncated documents of [" + index + "]", r);
    }
    JsonNode items = parse(r, "deleting truncated documents of [" + index + "]").path("items");
    if (items.size() != deletes.size()) {
      throw new RetriableException(
          "deleting truncated documents of ["
              + index
              + "]: "
              + deletes.size()
              + " deletes sent but "
              + items.size()
              + " answered",
          null,
          false);
    }
    int deleted = 0;
    for (JsonNode item : items) {
      JsonNode d = item.path("delete");
      WriteResult result =
          ResultClassifier.classifyItem(true, d.path("status").asInt(), d.get("error"));
      if (result instanceof WriteResult.Applied) {
        deleted++;
      } else if (result instanceof WriteResult.Stale) {
        // written again after the listing, with a newer version: it stays
      } else if (result instanceof WriteResult.Retry retry) {
        throw new RetriableException(
            "deleting truncated documents of [" + index + "]: " + retry.reason(),
            null,
            retry.throttled());
      } else if (result instanceof WriteResult.Rejected rejected) {
        throw new DriftlessException(
            "deleting truncated documents of [" + index + "] was refused: " + rejected.reason());
      }
    }
    return deleted;
  }

  private void clear(@Nullable String scrollId) {
    if (scrollId == null) {
      return;
    }
    ObjectNode body = EngineJson.MAPPER.createObjectNode();
    body.putArray("scroll_id").add(scrollId);
    try {
      transport.perform("DELETE", "/_search/scroll", Map.of(), json(body));
    } catch (RuntimeException e) {
      // The scroll expires by itself after its keep-alive.
      LOG.debug("clearing a truncation's scroll failed; it expires by itself", e);
    }
  }

  private static JsonNode parse(TransportResponse r, String what) {
    JsonNode root = ResultClassifier.parseQuietly(r.body());
    if (root == null) {
      throw new RetriableException(what + ": the engine's answer is not JSON", null, false);
    }
    return root;
  }

  private static @Nullable String textOrNull(@Nullable JsonNode n) {
    return n == null || !n.isTextual() ? null : n.asText();
  }

  private static BodyWriter json(ObjectNode body) {
    return BodyWriter.json(body.toString());
  }
}
