package dev.driftless.search.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.search.EngineIds;
import dev.driftless.search.MetadataFields;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The index side of reconciliation, over the {@linkplain MetadataFields metadata fields} that
 * {@link SearchSink} writes. Tombstones are left out: they stand for absent keys.
 *
 * <h2>Requests</h2>
 *
 * <ul>
 *   <li>{@link #summarize} is one search with {@code size: 0} per up to {@value
 *       #MAX_BUCKETS_PER_REQUEST} sub-ranges (the engines cap the buckets of one answer): filtered
 *       to the asked ranges, a {@code histogram} over {@value MetadataFields#BUCKET} when every
 *       sub-range is the same power-of-two width and aligned to it (as the Reconciler's levels
 *       are), else a {@code range} aggregation naming each sub-range; with {@code sum}
 *       sub-aggregations of the three fingerprint parts. Bucket numbers are below 2^32 and parts
 *       below 2^22, so the engines' double arithmetic is exact.
 *   <li>{@link #list} pages with {@code search_after} on {@value MetadataFields#BUCKET} (a full
 *       page's last bucket is read again by the next page, so keys sharing a bucket are never cut
 *       apart; a page of a single bucket reads that bucket alone), fetching {@code _id}, {@code
 *       _version} and the fingerprint parts (and {@value MetadataFields#KEY} where a document has
 *       it) from doc values, and orders the keys here: ranges are listed only when small. A key not
 *       written during the listing is returned exactly once even without a point-in-time (which ES
 *       7.10 OSS lacks); a key written meanwhile may show either state, which reconciliation
 *       re-verifies by point reads anyway.
 *   <li>{@link #read} is one {@code ids} query per up to {@value #MAX_IDS_PER_REQUEST} ids (the
 *       sink writes each key under the {@code _id} {@link EngineIds#of} gives its id).
 * </ul>
 *
 * Many ranges go into one request as a {@code bool} filter of at most {@value
 * #MAX_RANGES_PER_REQUEST} range clauses (adjacent ranges merged), below the engines' default
 * clause limit of 1,024. Answers are trimmed with {@code filter_path}.
 *
 * <p>Only what is visible to search is read (the refresh interval applies). Thread-safe; blocks on
 * I/O; transient failures are thrown as {@link RetriableException}. A missing index reads as empty.
 */
public final class IndexFingerprintReader implements FingerprintReader {

  static final int MAX_BUCKETS_PER_REQUEST = 10_000;
  static final int MAX_RANGES_PER_REQUEST = 500;
  static final int MAX_IDS_PER_REQUEST = 10_000;

  private static final String[] LIST_FIELDS = {
    MetadataFields.KEY, MetadataFields.FP_LOW, MetadataFields.FP_MID, MetadataFields.FP_HIGH
  };
  private static final Map<String, String> AGGREGATIONS_ONLY =
      Map.of("filter_path", "aggregations.b.buckets,error,status");
  private static final Map<String, String> HITS_ONLY =
      Map.of(
          "filter_path",
          "hits.hits._id,hits.hits._version,hits.hits.fields,hits.hits.sort,error,status");

  private final SearchTransport transport;
  private final Function<String, String> indexOf;
  private final int pageSize;
  private final AtomicLong bytes = new AtomicLong();

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
    Objects.requireNonNull(range, "range");
    return summarize(collection, List.of(range), splits);
  }

  @Override
  public List<BucketSummary> summarize(String collection, List<BucketRange> ranges, int splits) {
    if (splits < 1) {
      throw new IllegalArgumentException("splits must be positive, was " + splits);
    }
    List<BucketRange> subs = new ArrayList<>();
    for (BucketRange range : BucketRange.disjointSorted(ranges)) {
      for (int i = 0; i < splits; i++) {
        long from = Fingerprints.boundary(range.from(), range.to(), splits, i);
        long to = Fingerprints.boundary(range.from(), range.to(), splits, i + 1);
        if (from < to) {
          subs.add(new BucketRange(from, to));
        }
      }
    }
    List<BucketSummary> out = new ArrayList<>();
    int start = 0;
    while (start < subs.size()) {
      // A chunk ends at the bucket cap, or where one more range clause would pass the clause cap.
      int end = start + 1;
      int spans = 1;
      while (end < subs.size() && end - start < MAX_BUCKETS_PER_REQUEST) {
        boolean adjacent = subs.get(end).from() == subs.get(end - 1).to();
        if (!adjacent && spans == MAX_RANGES_PER_REQUEST) {
          break;
        }
        spans += adjacent ? 0 : 1;
        end++;
      }
      summarizeChunk(collection, subs.subList(start, end), out);
      start = end;
    }
    return out;
  }

  private void summarizeChunk(String collection, List<BucketRange> subs, List<BucketSummary> out) {
    long width = subs.get(0).width();
    boolean aligned = Long.bitCount(width) == 1;
    for (BucketRange sub : subs) {
      aligned &= sub.width() == width && sub.from() % width == 0;
    }
    ObjectNode body = EngineJson.MAPPER.createObjectNode();
    body.put("size", 0);
    body.put("track_total_hits", false);
    body.set("query", query(spans(subs)));
    ObjectNode agg = body.putObject("aggs").putObject("b");
    if (aligned) {
      agg.putObject("histogram")
          .put("field", MetadataFields.BUCKET)
          .put("interval", width)
          .put("min_doc_count", 1);
    } else {
      ObjectNode rangeAgg = agg.putObject("range");
      rangeAgg.put("field", MetadataFields.BUCKET);
      ArrayNode asked = rangeAgg.putArray("ranges");
      for (BucketRange sub : subs) {
        asked.addObject().put("from", sub.from()).put("to", sub.to());
      }
    }
    ObjectNode sums = agg.putObject("aggs");
    sums.putObject("lo").putObject("sum").put("field", MetadataFields.FP_LOW);
    sums.putObject("mid").putObject("sum").put("field", MetadataFields.FP_MID);
    sums.putObject("hi").putObject("sum").put("field", MetadataFields.FP_HIGH);
    JsonNode root = search(collection, body, AGGREGATIONS_ONLY);
    if (root == null) {
      return;
    }
    JsonNode buckets = root.path("aggregations").path("b").path("buckets");
    if (buckets.isMissingNode()) {
      return; // filter_path drops an empty list
    }
    if (!buckets.isArray() || (!aligned && buckets.size() != subs.size())) {
      throw new DriftlessException("unexpected aggregation answer: " + root);
    }
    Map<Long, BucketRange> byStart = new HashMap<>();
    if (aligned) {
      for (BucketRange sub : subs) {
        byStart.put(sub.from(), sub);
      }
    }
    for (int i = 0; i < buckets.size(); i++) {
      JsonNode b = buckets.get(i);
      long count = b.path("doc_count").asLong();
      if (count == 0) {
        continue;
      }
      BucketRange sub = aligned ? byStart.get(exact(b.path("key"))) : subs.get(i);
      if (sub == null) {
        throw new DriftlessException("histogram bucket outside the asked ranges: " + b);
      }
      out.add(
          new BucketSummary(
              sub,
              count,
              exact(b.path("lo").path("value")),
              exact(b.path("mid").path("value")),
              exact(b.path("hi").path("value"))));
    }
  }

  @Override
  public List<KeyFingerprint> list(String collection, BucketRange range) {
    Objects.requireNonNull(range, "range");
    return list(collection, List.of(range));
  }

  @Override
  public List<KeyFingerprint> list(String collection, List<BucketRange> ranges) {
    List<BucketRange> spans = spans(BucketRange.disjointSorted(ranges));
    List<KeyFingerprint> out = new ArrayList<>();
    for (int from = 0; from < spans.size(); from += MAX_RANGES_PER_REQUEST) {
      List<BucketRange> chunk =
          spans.subList(from, Math.min(spans.size(), from + MAX_RANGES_PER_REQUEST));
      listChunk(collection, chunk, out);
    }
    // Pages come in bucket order; keys are ordered here (ranges are listed only when small).
    out.sort(KeyFingerprint.BY_ID);
    return out;
  }

  private void listChunk(String collection, List<BucketRange> spans, List<KeyFingerprint> out) {
    // Pages in bucket order (a long's doc values; the key has none to sort on, see
    // MetadataFields): search_after skips every document whose bucket equals the value given, so a
    // full page gives back its last bucket's documents and the next page starts at that bucket.
    boolean first = true;
    long after = 0; // meaningful once a page came back
    while (true) {
      ObjectNode body = fetch(query(spans), pageSize);
      body.putArray("sort").addObject().put(MetadataFields.BUCKET, "asc");
      if (!first) {
        body.putArray("search_after").add(after);
      }
      first = false;
      JsonNode hits = hits(collection, body);
      if (hits.size() < pageSize) {
        addAll(collection, hits, out, Long.MAX_VALUE);
        return;
      }
      long lowest = sortValue(hits.get(0));
      long last = sortValue(hits.get(hits.size() - 1));
      if (lowest == last) {
        // A whole page of one bucket (2^32 buckets: only a tiny page or an adversary does this).
        readBucket(collection, spans, last, out);
        after = last;
      } else {
        addAll(collection, hits, out, last);
        after = last - 1;
      }
    }
  }

  /** Every listed document of one bucket, at most {@value #MAX_IDS_PER_REQUEST}. */
  private void readBucket(
      String collection, List<BucketRange> spans, long bucket, List<KeyFingerprint> out) {
    ObjectNode query = query(spans);
    ((ArrayNode) query.path("bool").path("filter"))
        .addObject()
        .putObject("term")
        .put(MetadataFields.BUCKET, bucket);
    JsonNode hits = hits(collection, fetch(query, MAX_IDS_PER_REQUEST));
    if (hits.size() >= MAX_IDS_PER_REQUEST) {
      throw new DriftlessException(
          "bucket "
              + bucket
              + " of ["
              + indexOf.apply(collection)
              + "] holds "
              + MAX_IDS_PER_REQUEST
              + " or more documents; a listing cannot page through it");
    }
    addAll(collection, hits, out, Long.MAX_VALUE);
  }

  private JsonNode hits(String collection, ObjectNode body) {
    JsonNode root = search(collection, body, HITS_ONLY);
    return root == null ? EngineJson.MAPPER.createArrayNode() : root.path("hits").path("hits");
  }

  /** Adds the hits whose bucket (their sort value) is below {@code before}. */
  private void addAll(String collection, JsonNode hits, List<KeyFingerprint> out, long before) {
    for (JsonNode hit : hits) {
      if (before != Long.MAX_VALUE && sortValue(hit) >= before) {
        continue;
      }
      KeyFingerprint k = keyFingerprint(collection, hit);
      if (k == null) {
        // Only a writer other than the sink puts an encoded _id without a key: the listing cannot
        // name that document, and skipping it would hide a difference.
        throw new DriftlessException(
            "a document in a listed bucket of ["
                + indexOf.apply(collection)
                + "] has an encoded _id but no "
                + MetadataFields.KEY
                + ": "
                + hit);
      }
      out.add(k);
    }
  }

  private static long sortValue(JsonNode hit) {
    JsonNode v = hit.path("sort").path(0);
    if (!v.canConvertToLong()) {
      throw new DriftlessException("a listed hit without its bucket as sort value: " + hit);
    }
    return v.asLong();
  }

  /**
   * {@inheritDoc}
   *
   * <p>One {@code ids} query per up to {@value #MAX_IDS_PER_REQUEST} ids; tombstones are left out.
   */
  @Override
  public List<KeyFingerprint> read(String collection, Collection<String> ids) {
    List<String> unique = List.copyOf(new LinkedHashSet<>(ids));
    List<KeyFingerprint> out = new ArrayList<>();
    for (int from = 0; from < unique.size(); from += MAX_IDS_PER_REQUEST) {
      List<String> chunk =
          unique.subList(from, Math.min(unique.size(), from + MAX_IDS_PER_REQUEST));
      // The sink writes every document under the engine id of its key id, so an ids query finds
      // the keys without an inverted index on the key field.
      ObjectNode query = EngineJson.MAPPER.createObjectNode();
      ObjectNode bool = query.putObject("bool");
      ArrayNode values = bool.putArray("filter").addObject().putObject("ids").putArray("values");
      Set<String> asked = new HashSet<>(chunk);
      chunk.forEach(id -> values.add(EngineIds.of(id)));
      bool.putArray("must_not").addObject().putObject("term").put(MetadataFields.TOMBSTONE, true);
      JsonNode root = search(collection, fetch(query, chunk.size()), HITS_ONLY);
      if (root == null) {
        return out;
      }
      for (JsonNode hit : root.path("hits").path("hits")) {
        KeyFingerprint k = keyFingerprint(collection, hit);
        // Only the asked keys: a document that another writer put under an encoded-looking _id
        // holds some other key, or none.
        if (k != null && asked.contains(k.key().id())) {
          out.add(k);
        }
      }
    }
    return out;
  }

  /**
   * Bytes of the request and response bodies this reader exchanged, as the client sees them (after
   * any decompression by the HTTP client; the wire may carry fewer).
   */
  @Override
  public long bytesRead() {
    return bytes.get();
  }

  /** A search for {@code size} hits of {@code query}, with the listed fields from doc values. */
  private static ObjectNode fetch(ObjectNode query, int size) {
    ObjectNode body = EngineJson.MAPPER.createObjectNode();
    body.put("size", size);
    body.put("track_total_hits", false);
    body.set("query", query);
    body.put("_source", false);
    body.put("version", true);
    ArrayNode fields = body.putArray("docvalue_fields");
    for (String f : LIST_FIELDS) {
      fields.add(f);
    }
    return body;
  }

  /**
   * The key and fingerprint of a hit, or null for a document with an encoded {@code _id} and no key
   * field. The key is {@value MetadataFields#KEY} where the document has one (every document an
   * earlier version wrote, and those whose {@code _id} is encoded), else the {@code _id}; the
   * version is the engine's {@code _version}, which the sink's external versioning keeps equal to
   * the source's.
   */
  private static @Nullable KeyFingerprint keyFingerprint(String collection, JsonNode hit) {
    JsonNode fields = hit.path("fields");
    JsonNode key = fields.path(MetadataFields.KEY).path(0);
    String id;
    if (key.isTextual()) {
      id = key.textValue(); // an empty key id is "", never missing
    } else {
      JsonNode engineId = hit.path("_id");
      if (!engineId.isTextual() || engineId.textValue().startsWith(EngineIds.ENCODED_PREFIX)) {
        return null;
      }
      id = engineId.textValue();
    }
    long rowFingerprint = 0;
    if (fields.has(MetadataFields.FP_LOW)) {
      long f =
          Fingerprints.join(
              fields.path(MetadataFields.FP_LOW).path(0).asLong(),
              fields.path(MetadataFields.FP_MID).path(0).asLong(),
              fields.path(MetadataFields.FP_HIGH).path(0).asLong());
      rowFingerprint = f ^ Fingerprints.keyHash(id);
    }
    JsonNode v = hit.path("_version");
    return new KeyFingerprint(
        new DocumentKey(collection, id),
        rowFingerprint,
        v.canConvertToLong() ? OptionalLong.of(v.asLong()) : OptionalLong.empty());
  }

  /** Sorted, disjoint ranges with adjacent ones merged. */
  private static List<BucketRange> spans(List<BucketRange> sorted) {
    List<BucketRange> spans = new ArrayList<>();
    for (BucketRange r : sorted) {
      int last = spans.size() - 1;
      if (last >= 0 && spans.get(last).to() == r.from()) {
        spans.set(last, new BucketRange(spans.get(last).from(), r.to()));
      } else {
        spans.add(r);
      }
    }
    return spans;
  }

  private static ObjectNode query(List<BucketRange> spans) {
    ObjectNode query = EngineJson.MAPPER.createObjectNode();
    ObjectNode bool = query.putObject("bool");
    ArrayNode filter = bool.putArray("filter");
    if (spans.size() == 1) {
      range(filter.addObject(), spans.get(0));
    } else {
      ObjectNode any = filter.addObject().putObject("bool");
      any.put("minimum_should_match", 1);
      ArrayNode should = any.putArray("should");
      for (BucketRange span : spans) {
        range(should.addObject(), span);
      }
    }
    bool.putArray("must_not").addObject().putObject("term").put(MetadataFields.TOMBSTONE, true);
    return query;
  }

  private static void range(ObjectNode clause, BucketRange r) {
    clause
        .putObject("range")
        .putObject(MetadataFields.BUCKET)
        .put("gte", r.from())
        .put("lt", r.to());
  }

  private @Nullable JsonNode search(
      String collection, ObjectNode body, Map<String, String> params) {
    String index = indexOf.apply(collection);
    byte[] request = body.toString().getBytes(StandardCharsets.UTF_8);
    TransportResponse r =
        transport.perform(
            "POST",
            "/" + SearchTransport.pathSegment(index) + "/_search",
            params,
            BodyWriter.json(request));
    bytes.addAndGet(request.length + r.body().length);
    if (r.status() == 404 && "index_not_found_exception".equals(ResultClassifier.errorType(r))) {
      return null;
    }
    if (!r.isSuccess()) {
      throw ResultClassifier.failure("searching [" + index + "]", r);
    }
    JsonNode root = ResultClassifier.parseQuietly(r.body());
    if (root == null) {
      throw new RetriableException("empty search response from [" + index + "]");
    }
    return root;
  }

  private static long exact(JsonNode value) {
    double d = value.asDouble(0);
    long l = (long) d;
    if (l != d || d >= 0x1p53) {
      throw new DriftlessException(
          "fingerprint sum " + value + " is not exact; summarise smaller ranges");
    }
    return l;
  }
}
