package dev.driftless.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.spi.FingerprintReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The index side of reconciliation, over the {@linkplain MetadataFields metadata fields} that
 * {@link SearchSink} writes. Tombstones are left out: they stand for absent keys.
 *
 * <p>{@link #summarize} runs one search with {@code size: 0}: a {@code range} aggregation over
 * {@value MetadataFields#BUCKET} with one range per split (as {@link
 * dev.driftless.core.Fingerprints#boundary}) and {@code sum} sub-aggregations of the three
 * fingerprint parts. Bucket numbers are below 2^32 and parts below 2^22, so the engines' double
 * arithmetic is exact.
 *
 * <p>{@link #list} pages with {@code search_after} on {@value MetadataFields#KEY}, fetching only
 * the key, version and fingerprint parts ({@code _source} filtering). The key is unique, so a key
 * not written during the listing is returned exactly once even without a point-in-time (which ES
 * 7.10 OSS lacks); a key written meanwhile may show either state, which reconciliation re-verifies
 * by point reads anyway. Keys come in the engines' keyword order: by UTF-8 bytes, i.e. by code
 * point — compare with the database side in that order (PostgreSQL {@code COLLATE "C"}).
 *
 * <p>Only what is visible to search is read (the refresh interval applies). Thread-safe; blocks on
 * I/O; transient failures are thrown as {@link dev.driftless.core.RetriableException}. A missing
 * index reads as empty.
 */
public final class IndexFingerprintReader implements FingerprintReader {

  private static final String[] LIST_FIELDS = {
    MetadataFields.KEY,
    MetadataFields.VERSION,
    MetadataFields.FP_LOW,
    MetadataFields.FP_MID,
    MetadataFields.FP_HIGH
  };

  private final SearchTransport transport;
  private final Function<String, String> indexOf;
  private final int pageSize;

  /**
   * A reader over {@code transport}.
   *
   * @param indexOf the index (or alias) holding a collection
   * @param pageSize keys per listing page, 1..10,000
   */
  public IndexFingerprintReader(
      SearchTransport transport, Function<String, String> indexOf, int pageSize) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.indexOf = Objects.requireNonNull(indexOf, "indexOf");
    if (pageSize < 1 || pageSize > 10_000) {
      throw new IllegalArgumentException("pageSize must be in [1, 10000], was " + pageSize);
    }
    this.pageSize = pageSize;
  }

  @Override
  public List<BucketSummary> summarize(String collection, BucketRange range, int splits) {
    if (splits < 1) {
      throw new IllegalArgumentException("splits must be positive, was " + splits);
    }
    ObjectNode body = IndexMapping.JSON.createObjectNode();
    body.put("size", 0);
    body.put("track_total_hits", false);
    body.set("query", query(range));
    ObjectNode agg = body.putObject("aggs").putObject("b");
    ObjectNode rangeAgg = agg.putObject("range");
    rangeAgg.put("field", MetadataFields.BUCKET);
    ArrayNode ranges = rangeAgg.putArray("ranges");
    List<BucketRange> asked = new ArrayList<>();
    for (int i = 0; i < splits; i++) {
      long[] sub = {
        Fingerprints.boundary(range.from(), range.to(), splits, i),
        Fingerprints.boundary(range.from(), range.to(), splits, i + 1)
      };
      if (sub[0] == sub[1]) {
        continue;
      }
      asked.add(new BucketRange(sub[0], sub[1]));
      ranges.addObject().put("from", sub[0]).put("to", sub[1]);
    }
    ObjectNode sums = agg.putObject("aggs");
    sums.putObject("lo").putObject("sum").put("field", MetadataFields.FP_LOW);
    sums.putObject("mid").putObject("sum").put("field", MetadataFields.FP_MID);
    sums.putObject("hi").putObject("sum").put("field", MetadataFields.FP_HIGH);
    JsonNode root = search(collection, body);
    if (root == null) {
      return List.of();
    }
    JsonNode buckets = root.path("aggregations").path("b").path("buckets");
    if (!buckets.isArray() || buckets.size() != asked.size()) {
      throw new dev.driftless.core.DriftlessException(
          "unexpected range aggregation answer: " + root.path("aggregations"));
    }
    List<BucketSummary> out = new ArrayList<>();
    for (int i = 0; i < asked.size(); i++) {
      JsonNode b = buckets.get(i);
      long count = b.path("doc_count").asLong();
      if (count == 0) {
        continue;
      }
      out.add(
          new BucketSummary(
              asked.get(i),
              count,
              exact(b.path("lo").path("value")),
              exact(b.path("mid").path("value")),
              exact(b.path("hi").path("value"))));
    }
    return out;
  }

  @Override
  public List<KeyFingerprint> list(String collection, BucketRange range) {
    List<KeyFingerprint> out = new ArrayList<>();
    String after = null;
    while (true) {
      ObjectNode body = IndexMapping.JSON.createObjectNode();
      body.put("size", pageSize);
      body.put("track_total_hits", false);
      body.set("query", query(range));
      body.putArray("sort").addObject().put(MetadataFields.KEY, "asc");
      ArrayNode source = body.putArray("_source");
      for (String f : LIST_FIELDS) {
        source.add(f);
      }
      if (after != null) {
        body.putArray("search_after").add(after);
      }
      JsonNode root = search(collection, body);
      if (root == null) {
        return out;
      }
      JsonNode hits = root.path("hits").path("hits");
      for (JsonNode hit : hits) {
        JsonNode s = hit.path("_source");
        String id = s.path(MetadataFields.KEY).asText();
        long rowFingerprint = 0;
        if (s.has(MetadataFields.FP_LOW)) {
          long f =
              Fingerprints.join(
                  s.path(MetadataFields.FP_LOW).asLong(),
                  s.path(MetadataFields.FP_MID).asLong(),
                  s.path(MetadataFields.FP_HIGH).asLong());
          rowFingerprint = f ^ Fingerprints.keyHash(id);
        }
        JsonNode v = s.get(MetadataFields.VERSION);
        out.add(
            new KeyFingerprint(
                new DocumentKey(collection, id),
                rowFingerprint,
                v == null ? OptionalLong.empty() : OptionalLong.of(v.asLong())));
        after = id;
      }
      if (hits.size() < pageSize) {
        return out;
      }
    }
  }

  private static ObjectNode query(BucketRange range) {
    ObjectNode query = IndexMapping.JSON.createObjectNode();
    ObjectNode bool = query.putObject("bool");
    bool.putArray("filter")
        .addObject()
        .putObject("range")
        .putObject(MetadataFields.BUCKET)
        .put("gte", range.from())
        .put("lt", range.to());
    bool.putArray("must_not").addObject().putObject("term").put(MetadataFields.TOMBSTONE, true);
    return query;
  }

  private @org.jspecify.annotations.Nullable JsonNode search(String collection, ObjectNode body) {
    String index = indexOf.apply(collection);
    TransportResponse r =
        transport.perform(
            "POST",
            "/" + SearchTransport.pathSegment(index) + "/_search",
            Map.of(),
            BodyWriter.json(body.toString().getBytes(StandardCharsets.UTF_8)));
    if (r.status() == 404 && "index_not_found_exception".equals(ResultClassifier.errorType(r))) {
      return null;
    }
    if (!r.isSuccess()) {
      throw ResultClassifier.failure("searching [" + index + "]", r);
    }
    JsonNode root = ResultClassifier.parseQuietly(r.body());
    if (root == null) {
      throw new dev.driftless.core.RetriableException("empty search response from [" + index + "]");
    }
    return root;
  }

  private static long exact(JsonNode value) {
    double d = value.asDouble(0);
    long l = (long) d;
    if (l != d || d >= 0x1p53) {
      throw new dev.driftless.core.DriftlessException(
          "fingerprint sum " + value + " is not exact; summarise smaller ranges");
    }
    return l;
  }
}
