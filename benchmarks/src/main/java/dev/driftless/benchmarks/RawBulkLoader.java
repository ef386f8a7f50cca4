package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Fingerprints;
import dev.driftless.search.EngineIds;
import dev.driftless.search.MetadataFields;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The baselines of the sink benchmark: what a plain bulk loader does. It serialises each document
 * itself, sends NDJSON {@code _bulk} requests of a fixed size with {@code java.net.http.HttpClient}
 * from a fixed number of threads, with no versioning, no retries and no per-item classification
 * beyond "the response says errors: false".
 *
 * <p>It writes either the documents' own fields only, or the documents exactly as Driftless stores
 * them: the same fields followed by the {@linkplain MetadataFields metadata fields}, computed with
 * {@link Fingerprints} and written by hand (the benchmark checks that these lines equal the sink's
 * byte for byte).
 */
final class RawBulkLoader {

  private final HttpClient http;
  private final String baseUrl;
  private final int bulk;
  private final int concurrency;
  private final boolean metadata;

  RawBulkLoader(HttpClient http, String baseUrl, int bulk, int concurrency, boolean metadata) {
    this.http = http;
    this.baseUrl = baseUrl;
    this.bulk = bulk;
    this.concurrency = concurrency;
    this.metadata = metadata;
  }

  /**
   * Loads every event's document into {@code index}; returns the bytes sent.
   *
   * @throws IOException if a request fails or an item is refused
   */
  long load(String index, List<ChangeEvent> events) throws Exception {
    AtomicInteger cursor = new AtomicInteger();
    AtomicLong bytes = new AtomicLong();
    URI uri = URI.create(baseUrl + "/" + index + "/_bulk");
    Workers.run(
        concurrency,
        () -> {
          while (true) {
            int from = cursor.getAndAdd(bulk);
            if (from >= events.size()) {
              return;
            }
            byte[] body =
                body(events.subList(from, Math.min(events.size(), from + bulk)), metadata);
            bytes.addAndGet(body.length);
            HttpRequest request =
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofMinutes(2))
                    .header("Content-Type", "application/x-ndjson")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            HttpResponse<String> response =
                http.send(request, HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            int head = Math.min(text.length(), 200);
            if (response.statusCode() != 200
                || !text.substring(0, head).contains("\"errors\":false")) {
              throw new IOException(
                  "bulk request failed with "
                      + response.statusCode()
                      + ": "
                      + text.substring(0, Math.min(text.length(), 1000)));
            }
          }
        });
    return bytes.get();
  }

  /**
   * The NDJSON body for one bulk: an action line and a source line per document, the source with
   * the metadata fields if asked.
   */
  static byte[] body(List<ChangeEvent> batch, boolean metadata) {
    StringBuilder sb = new StringBuilder(batch.size() * (metadata ? 300 : 200));
    for (ChangeEvent e : batch) {
      ChangeEvent.Upsert u = (ChangeEvent.Upsert) e;
      sb.append("{\"index\":{\"_id\":");
      string(sb, u.key().id());
      sb.append("}}\n");
      source(sb, u, metadata);
      sb.append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The source line of one upsert (without its line break). */
  static void source(StringBuilder sb, ChangeEvent.Upsert u, boolean metadata) {
    object(sb, u.document().fields());
    if (!metadata) {
      return;
    }
    sb.setLength(sb.length() - 1); // reopen the object
    if (!u.document().fields().isEmpty()) {
      sb.append(',');
    }
    String id = u.key().id();
    long keyHash = Fingerprints.keyHash(id);
    if (!EngineIds.isOrdinary(id)) {
      // As the sink: only a key whose _id is encoded is stored beside it (the corpus has none).
      sb.append('"').append(MetadataFields.KEY).append("\":");
      string(sb, id);
      sb.append(',');
    }
    sb.append('"')
        .append(MetadataFields.BUCKET)
        .append("\":")
        .append(Fingerprints.bucketOf(keyHash));
    if (u.document().fingerprint().isPresent()) {
      long f = Fingerprints.perKeyOf(keyHash, u.document().fingerprint().getAsLong());
      sb.append(",\"").append(MetadataFields.FP_LOW).append("\":").append(Fingerprints.low(f));
      sb.append(",\"").append(MetadataFields.FP_MID).append("\":").append(Fingerprints.mid(f));
      sb.append(",\"").append(MetadataFields.FP_HIGH).append("\":").append(Fingerprints.high(f));
    }
    sb.append('}');
  }

  private static void object(StringBuilder sb, Map<String, @Nullable Object> fields) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, @Nullable Object> f : fields.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      string(sb, f.getKey());
      sb.append(':');
      Object v = f.getValue();
      if (v == null) {
        sb.append("null");
      } else if (v instanceof String s) {
        string(sb, s);
      } else if (v instanceof Number || v instanceof Boolean) {
        // The corpus holds only finite numbers, longs, ints and booleans.
        sb.append(v);
      } else {
        throw new IllegalArgumentException("the raw loader writes flat documents only: " + v);
      }
    }
    sb.append('}');
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }
}
