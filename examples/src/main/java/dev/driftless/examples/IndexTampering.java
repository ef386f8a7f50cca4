package dev.driftless.examples;

import dev.driftless.core.DocumentJson;
import dev.driftless.core.Fingerprints;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Damages an index behind the pipeline's back, through the engine's REST API only, the way real
 * drift happens: a document deleted by hand, an old snapshot restored over a newer one, a buggy
 * second writer, a document left behind by a job that copied data.
 *
 * <p>Writes keep the engine's {@code _version} where it was ({@code version_type=external_gte}), so
 * the damage looks exactly like what a stray writer with the right version would leave. Not
 * thread-safe; every method blocks on one HTTP request or two.
 */
public final class IndexTampering {
  private final HttpClient http = HttpClient.newHttpClient();
  private final String baseUrl;

  public IndexTampering(String baseUrl) {
    this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
  }

  /** A document's stored JSON with its engine version, or null when absent. */
  public @Nullable Snapshot read(String index, String id) throws IOException, InterruptedException {
    HttpResponse<String> r = send("GET", "/" + index + "/_doc/" + encode(id), null);
    if (r.statusCode() == 404) {
      return null;
    }
    check(r, "reading " + index + "/" + id);
    Map<?, ?> hit = (Map<?, ?>) Objects.requireNonNull(DocumentJson.parseValue(r.body()));
    if (!Boolean.TRUE.equals(hit.get("found"))) {
      return null;
    }
    return new Snapshot(
        id,
        ((Number) Objects.requireNonNull(hit.get("_version"))).longValue(),
        copy((Map<?, ?>) Objects.requireNonNull(hit.get("_source"))));
  }

  /**
   * Deletes a document, as an operator cleaning up by hand would.
   *
   * @return false if the pipeline wrote the document between this method's read and its delete (the
   *     engine refused the delete), true if it was deleted
   */
  public boolean delete(String index, String id) throws IOException, InterruptedException {
    Snapshot now = require(index, id);
    HttpResponse<String> r =
        send("DELETE", "/" + index + "/_doc/" + encode(id) + keepVersion(now), null);
    if (r.statusCode() == 409) {
      return false;
    }
    check(r, "deleting " + id);
    return true;
  }

  /** Puts an earlier snapshot back over the current document: a stale version. */
  public void restore(String index, Snapshot old) throws IOException, InterruptedException {
    Snapshot now = require(index, old.id());
    put(index, old.id(), old.source(), keepVersion(now));
  }

  /**
   * Gives document {@code id} the content (and fingerprint) of document {@code other}, as a writer
   * that mixed up two rows would: the key stays, everything else is wrong.
   */
  public void swapContent(String index, String id, String other)
      throws IOException, InterruptedException {
    Snapshot now = require(index, id);
    put(index, id, rekeyed(require(index, other), id), keepVersion(now));
  }

  /** Adds a copy of document {@code template} under an id the database does not have. */
  public void addPhantom(String index, String template, String phantomId)
      throws IOException, InterruptedException {
    put(index, phantomId, rekeyed(require(index, template), phantomId), "");
  }

  /** Makes everything written visible to search (reconciliation reads what search sees). */
  public void refresh(String index) throws IOException, InterruptedException {
    check(send("POST", "/" + index + "/_refresh", null), "refreshing " + index);
  }

  /** A document as stored: its id, engine version and {@code _source}. */
  public record Snapshot(String id, long version, Map<String, @Nullable Object> source) {}

  /** The source of {@code s} moved to key {@code id}, fingerprint parts recomputed for that key. */
  private static Map<String, @Nullable Object> rekeyed(Snapshot s, String id) {
    Map<String, @Nullable Object> source = copy(s.source());
    long perKey =
        Fingerprints.join(
            number(source, "driftless_fp_low"),
            number(source, "driftless_fp_mid"),
            number(source, "driftless_fp_high"));
    long row = perKey ^ Fingerprints.keyHash(s.id());
    long moved = Fingerprints.perKey(id, row);
    source.put("driftless_key", id);
    source.put("driftless_bucket", Fingerprints.bucket(id));
    source.put("driftless_fp_low", Fingerprints.low(moved));
    source.put("driftless_fp_mid", Fingerprints.mid(moved));
    source.put("driftless_fp_high", Fingerprints.high(moved));
    return source;
  }

  /** A document as stored now; fails when it is absent. */
  public Snapshot require(String index, String id) throws IOException, InterruptedException {
    Snapshot s = read(index, id);
    if (s == null) {
      throw new IllegalStateException("no document " + id + " in " + index);
    }
    return s;
  }

  private static String keepVersion(Snapshot now) {
    return "?version_type=external_gte&version=" + now.version();
  }

  private void put(String index, String id, Map<String, @Nullable Object> source, String query)
      throws IOException, InterruptedException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    DocumentJson.writeValue(source, out);
    check(
        send(
            "PUT",
            "/" + index + "/_doc/" + encode(id) + query,
            out.toString(StandardCharsets.UTF_8)),
        "writing " + id);
  }

  private HttpResponse<String> send(String method, String path, @Nullable String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void check(HttpResponse<String> r, String what) {
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(what + " failed: HTTP " + r.statusCode() + " " + r.body());
    }
  }

  private static String encode(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static long number(Map<String, @Nullable Object> source, String field) {
    return ((Number) Objects.requireNonNull(source.get(field), field)).longValue();
  }

  private static Map<String, @Nullable Object> copy(Map<?, ?> map) {
    Map<String, @Nullable Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }
}
