package dev.driftless.spring.boot.actuate;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.spring.boot.DriftlessReconcilers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code driftless} actuator endpoint ({@code /actuator/driftless} over HTTP once exposed with
 * {@code management.endpoints.web.exposure.include}):
 *
 * <ul>
 *   <li>read ({@code GET}): the pipeline's status, a summary of the dead letters (count and the
 *       oldest {@value #LETTERS_SHOWN}, without payloads), and the reconciliation schedules;
 *   <li>write ({@code POST /actuator/driftless/{operation}}, a JSON body for the parameters):
 *       <ul>
 *         <li>{@code replay} {@code {"max": 100}}: replays up to {@code max} dead letters (default
 *             100), re-reading each key's current state from the database;
 *         <li>{@code repair} {@code {"collection": "orders", "keys": ["1", "2"]}}: re-reads and
 *             rewrites these keys;
 *         <li>{@code reconcile} {@code {"collection": "orders"}}: runs a reconciliation of a
 *             collection configured under {@code driftless.reconciliation} now.
 *       </ul>
 * </ul>
 *
 * <p>Write operations block until done. Restrict them like any actuator write operation ({@code
 * management.endpoint.driftless.access=read-only} leaves only the read).
 */
@Endpoint(id = "driftless")
public class DriftlessEndpoint {

  /** How many dead letters the read operation lists. */
  public static final int LETTERS_SHOWN = 20;

  private static final int DEFAULT_REPLAY = 100;

  private final Pipeline pipeline;
  private final @Nullable DeadLetterStore deadLetters;
  private final @Nullable DriftlessReconcilers reconcilers;

  public DriftlessEndpoint(
      Pipeline pipeline,
      @Nullable DeadLetterStore deadLetters,
      @Nullable DriftlessReconcilers reconcilers) {
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.deadLetters = deadLetters;
    this.reconcilers = reconcilers;
  }

  /** The status, dead letters and reconciliation schedules. */
  @ReadOperation
  public Map<String, Object> status() throws Exception {
    PipelineStatus s = pipeline.status();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pipeline", pipeline.name());
    out.put("state", s.state().name());
    out.put("summary", s.summary());
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("received", s.eventsReceived());
    counts.put("applied", s.eventsApplied());
    counts.put("stale", s.eventsStale());
    counts.put("deadLettered", s.eventsDeadLettered());
    counts.put("coalesced", s.eventsCoalesced());
    counts.put("retries", s.retries());
    counts.put("inFlight", s.inFlightEvents());
    out.put("events", counts);
    Map<String, Object> lag = new LinkedHashMap<>();
    lag.put("events", s.lagEvents());
    lag.put("millis", s.lagTime().toMillis());
    out.put("lag", lag);
    PipelineStatus.Freshness f = s.freshness();
    Map<String, Object> freshness = new LinkedHashMap<>();
    freshness.put("count", f.count());
    freshness.put("p50Millis", f.p50().toMillis());
    freshness.put("p90Millis", f.p90().toMillis());
    freshness.put("p99Millis", f.p99().toMillis());
    freshness.put("maxMillis", f.max().toMillis());
    out.put("freshness", freshness);
    putIfPresent(out, "committedPosition", s.committedPosition());
    putIfPresent(out, "sinkOutage", s.sinkOutage());
    putIfPresent(out, "sourceOutage", s.sourceOutage());
    putIfPresent(out, "failure", s.failure());
    out.put("source", s.source());
    DeadLetterStore store = deadLetters;
    if (store != null) {
      Map<String, Object> letters = new LinkedHashMap<>();
      letters.put("count", store.count());
      List<Map<String, Object>> oldest = new ArrayList<>();
      for (DeadLetter l : store.list(LETTERS_SHOWN)) {
        oldest.add(letter(l));
      }
      letters.put("oldest", oldest);
      out.put("deadLetters", letters);
    }
    DriftlessReconcilers r = reconcilers;
    if (r != null) {
      out.put("reconciliation", r.describe());
    }
    return out;
  }

  /**
   * Runs {@code operation}: {@code replay}, {@code repair} or {@code reconcile} (see the class
   * comment).
   *
   * @throws IllegalArgumentException for an unknown operation or a missing parameter
   */
  @WriteOperation
  public Map<String, Object> run(
      @Selector String operation,
      @Nullable Integer max,
      @Nullable String collection,
      @Nullable List<String> keys)
      throws InterruptedException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("operation", operation);
    switch (operation.toLowerCase(Locale.ROOT)) {
      case "replay" -> {
        int n = max == null ? DEFAULT_REPLAY : max;
        if (n < 1) {
          throw new IllegalArgumentException("max must be at least 1, was " + n);
        }
        Pipeline.ReplayResult result = pipeline.replayDeadLetters(n);
        out.put("replayed", result.replayed());
        out.put("failedAgain", result.failedAgain());
        out.put("superseded", result.superseded());
      }
      case "repair" -> {
        String c = required(collection, "collection");
        List<String> ids = required(keys, "keys");
        List<DocumentKey> toRepair = new ArrayList<>();
        for (String id : ids) {
          toRepair.add(DocumentKey.of(c, id));
        }
        Pipeline.RepairResult result = pipeline.repair(toRepair);
        out.put("applied", result.applied());
        out.put("alreadyCurrent", result.alreadyCurrent());
        out.put("failed", result.failed().stream().map(DocumentKey::id).toList());
      }
      case "reconcile" -> {
        DriftlessReconcilers r = reconcilers;
        if (r == null) {
          throw new IllegalArgumentException(
              "no reconciliation is configured (driftless.reconciliation.<collection>.interval)");
        }
        ReconciliationReport report = r.run(required(collection, "collection"));
        out.put("summary", report.summary());
      }
      default ->
          throw new IllegalArgumentException(
              "unknown operation '" + operation + "': replay, repair or reconcile");
    }
    return out;
  }

  private static Map<String, Object> letter(DeadLetter l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", l.id());
    m.put("collection", l.key().collection());
    m.put("key", l.key().id());
    m.put("operation", l.operation());
    m.put("errorType", l.errorType());
    m.put("errorMessage", l.errorMessage());
    m.put("attempts", l.attempts());
    m.put("lastFailedAt", l.lastFailedAt().toString());
    return m;
  }

  private static <T> T required(@Nullable T value, String name) {
    if (value == null) {
      throw new IllegalArgumentException(name + " is required");
    }
    return value;
  }

  private static void putIfPresent(Map<String, Object> out, String key, @Nullable Object value) {
    if (value != null) {
      out.put(key, value);
    }
  }
}
