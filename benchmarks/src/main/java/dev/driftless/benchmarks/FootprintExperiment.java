package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Fingerprints;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Issue 17's measurement of index layouts, one at a time: a plain loader writes the corpus with a
 * layout's fields (and external versions where the layout has them) into a fresh index, and the
 * node's CPU and the store are recorded. Not a report benchmark: run it by hand with {@code java
 * -cp ... dev.driftless.benchmarks.FootprintExperiment rows rounds layout...}.
 */
final class FootprintExperiment {

  /** One index layout: which metadata fields a document carries and how they are mapped. */
  record Layout(
      String name,
      boolean key,
      boolean version,
      boolean bucket,
      int parts,
      boolean externalVersion,
      String bucketMapping,
      String extraSettings) {}

  static final Map<String, Layout> LAYOUTS = new LinkedHashMap<>();

  static {
    String longType = "{\"type\":\"long\"}";
    add(new Layout("fields-only", false, false, false, 0, false, longType, ""));
    add(new Layout("today", true, true, true, 3, true, longType, ""));
    add(new Layout("no-key", false, true, true, 3, true, longType, ""));
    add(new Layout("no-key-no-version", false, false, true, 3, true, longType, ""));
    add(new Layout("no-key-2parts", false, true, true, 2, true, longType, ""));
    add(new Layout("no-key-no-version-2parts", false, false, true, 2, true, longType, ""));
    add(
        new Layout(
            "no-key-2parts-bucket-dv",
            false,
            true,
            true,
            2,
            true,
            "{\"type\":\"long\",\"index\":false}",
            ""));
    add(
        new Layout(
            "no-key-2parts-bucket-int",
            false,
            true,
            true,
            2,
            true,
            "{\"type\":\"unsigned_long\"}",
            ""));
    add(new Layout("fields-only-ext", false, false, false, 0, true, longType, ""));
  }

  private static void add(Layout l) {
    LAYOUTS.put(l.name(), l);
  }

  private FootprintExperiment() {}

  public static void main(String[] args) throws Exception {
    int rows = Integer.parseInt(args[0]);
    int rounds = Integer.parseInt(args[1]);
    List<Layout> layouts = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      layouts.add(LAYOUTS.get(args[i]));
    }
    List<ChangeEvent> events = Corpus.events(rows);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    try (OpenSearchNode node = OpenSearchNode.builder().start()) {
      IndexAdmin admin = new IndexAdmin(http, node.httpUrl());
      System.out.println("server " + admin.serverVersion());
      for (Layout l : layouts) {
        load(admin, http, l, events.subList(0, Math.min(rows, 100_000)), "warm");
      }
      for (int r = 1; r <= rounds; r++) {
        List<Layout> order = new ArrayList<>(layouts);
        java.util.Collections.rotate(order, -(r - 1));
        for (Layout l : order) {
          String line = load(admin, http, l, events, "r" + r);
          System.out.println("RESULT round=" + r + " " + line);
        }
      }
    }
  }

  private static String load(
      IndexAdmin admin, HttpClient http, Layout l, List<ChangeEvent> events, String tag)
      throws Exception {
    String index = "fp-" + tag + "-" + l.name();
    admin.create(index, createBody(l).getBytes(StandardCharsets.UTF_8));
    AtomicInteger cursor = new AtomicInteger();
    URI uri = URI.create(admin.baseUrl() + "/" + index + "/_bulk");
    long start = System.nanoTime();
    ThreadCpu threads = ThreadCpu.start();
    Workers.run(
        2,
        () -> {
          while (true) {
            int from = cursor.getAndAdd(1000);
            if (from >= events.size()) {
              return;
            }
            byte[] body = body(events.subList(from, Math.min(events.size(), from + 1000)), l);
            HttpResponse<String> response =
                http.send(
                    HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofMinutes(2))
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            if (response.statusCode() != 200
                || !text.substring(0, Math.min(200, text.length())).contains("\"errors\":false")) {
              throw new IOException(text.substring(0, Math.min(text.length(), 1000)));
            }
          }
        });
    long nanos = System.nanoTime() - start;
    threads.close();
    long count = admin.refreshAndCount(index);
    if (count != events.size()) {
      throw new IllegalStateException(index + " holds " + count);
    }
    long store = admin.storeBytes(index);
    admin.delete(index);
    return String.format(
        Locale.ROOT,
        "layout=%s docs=%d s=%.1f node_cpu_s_per_M=%.2f client_cpu_s=%.1f store_MB_per_M=%.1f",
        l.name(),
        events.size(),
        nanos / 1e9,
        threads.serverNanos() / 1e9 * 1e6 / events.size(),
        threads.clientNanos() / 1e9,
        store / 1e6 * 1e6 / events.size());
  }

  private static String createBody(Layout l) {
    StringBuilder props = new StringBuilder(Corpus.MAPPING);
    props.setLength(props.length() - 2); // reopen properties
    if (l.key()) {
      props.append(",\"driftless_key\":{\"type\":\"keyword\",\"index\":false}");
    }
    if (l.version()) {
      props.append(",\"driftless_version\":{\"type\":\"long\"}");
    }
    if (l.bucket()) {
      props.append(",\"driftless_bucket\":").append(l.bucketMapping());
    }
    for (int p = 0; p < l.parts(); p++) {
      props.append(",\"driftless_fp").append(p).append("\":{\"type\":\"long\",\"index\":false}");
    }
    props.append("}}");
    return "{\"settings\":" + Corpus.INDEX_SETTINGS + ",\"mappings\":" + props + "}";
  }

  static byte[] body(List<ChangeEvent> batch, Layout l) {
    StringBuilder sb = new StringBuilder(batch.size() * 300);
    for (ChangeEvent e : batch) {
      ChangeEvent.Upsert u = (ChangeEvent.Upsert) e;
      String id = u.key().id();
      sb.append("{\"index\":{\"_id\":\"").append(id).append('"');
      if (l.externalVersion()) {
        sb.append(",\"version\":")
            .append(u.version().value())
            .append(",\"version_type\":\"external_gte\"");
      }
      sb.append("}}\n");
      StringBuilder src = new StringBuilder();
      RawBulkLoader.source(src, u, false);
      src.setLength(src.length() - 1);
      long keyHash = Fingerprints.keyHash(id);
      if (l.key()) {
        src.append(",\"driftless_key\":\"").append(id).append('"');
      }
      if (l.version()) {
        src.append(",\"driftless_version\":").append(u.version().value());
      }
      if (l.bucket()) {
        src.append(",\"driftless_bucket\":").append(Fingerprints.bucketOf(keyHash));
      }
      long f = Fingerprints.perKeyOf(keyHash, u.document().fingerprint().getAsLong());
      if (l.parts() == 3) {
        src.append(",\"driftless_fp0\":").append(Fingerprints.low(f));
        src.append(",\"driftless_fp1\":").append(Fingerprints.mid(f));
        src.append(",\"driftless_fp2\":").append(Fingerprints.high(f));
      } else if (l.parts() == 2) {
        src.append(",\"driftless_fp0\":").append(f & 0xFFFFFFFFL);
        src.append(",\"driftless_fp1\":").append(f >>> 32);
      }
      src.append('}');
      sb.append(src).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
