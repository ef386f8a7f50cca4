package dev.driftless.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * Measures commit to visible for sampled changes, the way a reader of the index sees them, on two
 * threads of its own: one polls a real-time {@code _mget} (which reads the latest indexed version,
 * refreshed or not) of every outstanding sample every {@link #GET_PAUSE}, the other a {@code
 * _search} by id (which sees only what a refresh made searchable) every {@link #SEARCH_PAUSE}. A
 * sample is visible once its product's {@code seq} is at least the one its transaction wrote. All
 * outstanding samples are asked for in one request per round, so a slow sample never delays the
 * measurement of the next. Resolution: the pause plus one request's round trip.
 */
final class VisibilityProbe implements AutoCloseable {

  static final Duration GET_PAUSE = Duration.ofMillis(1);
  static final Duration SEARCH_PAUSE = Duration.ofMillis(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long GIVE_UP_NANOS = TimeUnit.MINUTES.toNanos(2);

  private record Sample(String id, long seq, long committedNanos) {}

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final String baseUrl;
  private final String index;
  private final Poller get = new Poller("get", GET_PAUSE, true);
  private final Poller search = new Poller("search", SEARCH_PAUSE, false);
  private volatile boolean closed;

  VisibilityProbe(String baseUrl, String index) {
    this.baseUrl = baseUrl;
    this.index = index;
    get.start();
    search.start();
  }

  /** A change to watch for; called by the writer right after its commit returned. */
  void committed(long id, long seq, long committedNanos) {
    Sample s = new Sample(Long.toString(id), seq, committedNanos);
    get.offer(s);
    search.offer(s);
  }

  /** Waits until every sample was seen (or given up), then returns and resets both histograms. */
  Histogram[] drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!(get.idle() && search.idle())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("visibility samples still outstanding after " + timeout);
      }
      get.check();
      search.check();
      Thread.sleep(20);
    }
    get.check();
    search.check();
    return new Histogram[] {get.take(), search.take()};
  }

  /** Samples given up after two minutes (none expected). */
  long givenUp() {
    return get.givenUp.get() + search.givenUp.get();
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    get.thread.join(5_000);
    search.thread.join(5_000);
  }

  private final class Poller implements Runnable {
    final ConcurrentLinkedQueue<Sample> inbox = new ConcurrentLinkedQueue<>();
    final Thread thread;
    final long pauseNanos;
    final boolean realtime;
    final List<Sample> outstanding = new ArrayList<>();
    final AtomicReference<@Nullable Exception> failure = new AtomicReference<>();
    final AtomicInteger unresolved = new AtomicInteger();
    final AtomicLong givenUp = new AtomicLong();
    private Histogram seen = Latency.micros();

    Poller(String name, Duration pause, boolean realtime) {
      this.pauseNanos = pause.toNanos();
      this.realtime = realtime;
      this.thread = new Thread(this, "fresh-probe-" + name);
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void offer(Sample s) {
      unresolved.incrementAndGet();
      inbox.add(s);
    }

    boolean idle() {
      return unresolved.get() == 0;
    }

    void check() {
      Exception e = failure.get();
      if (e != null) {
        throw new IllegalStateException("visibility probe failed", e);
      }
    }

    synchronized Histogram take() {
      Histogram h = seen;
      seen = Latency.micros();
      return h;
    }

    @Override
    public void run() {
      try {
        while (!closed) {
          Sample s;
          while ((s = inbox.poll()) != null) {
            outstanding.add(s);
          }
          if (outstanding.isEmpty()) {
            LockSupport.parkNanos(pauseNanos);
            continue;
          }
          Map<String, Long> current = realtime ? mget() : search();
          long now = System.nanoTime();
          for (Iterator<Sample> it = outstanding.iterator(); it.hasNext(); ) {
            Sample x = it.next();
            Long v = current.get(x.id());
            if (v != null && v >= x.seq()) {
              record(now - x.committedNanos());
              it.remove();
              unresolved.decrementAndGet();
            } else if (now - x.committedNanos() > GIVE_UP_NANOS) {
              givenUp.incrementAndGet();
              it.remove();
              unresolved.decrementAndGet();
            }
          }
          LockSupport.parkNanos(pauseNanos);
        }
      } catch (Exception e) {
        failure.set(e);
        inbox.clear();
        unresolved.set(0);
      }
    }

    private synchronized void record(long nanos) {
      seen.recordValue(Math.max(0, nanos / 1000));
    }

    private Map<String, Long> mget() throws IOException, InterruptedException {
      ObjectNode body = JSON.createObjectNode();
      outstanding.forEach(x -> body.withArray("ids").add(x.id()));
      JsonNode r = post("/_mget?realtime=true&_source_includes=seq", body);
      Map<String, Long> seqs = new HashMap<>();
      for (JsonNode d : r.path("docs")) {
        if (d.path("found").asBoolean()) {
          seqs.put(d.path("_id").asText(), d.path("_source").path("seq").asLong(-1));
        }
      }
      return seqs;
    }

    private Map<String, Long> search() throws IOException, InterruptedException {
      ObjectNode body = JSON.createObjectNode();
      body.put("size", outstanding.size());
      body.putArray("_source").add("seq");
      ObjectNode ids = body.putObject("query").putObject("ids");
      outstanding.forEach(x -> ids.withArray("values").add(x.id()));
      JsonNode r = post("/_search", body);
      Map<String, Long> seqs = new HashMap<>();
      for (JsonNode h : r.path("hits").path("hits")) {
        seqs.merge(h.path("_id").asText(), h.path("_source").path("seq").asLong(-1), Math::max);
      }
      return seqs;
    }
  }

  private JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(baseUrl + "/" + index + path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
            .build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IOException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }
}
