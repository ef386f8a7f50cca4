package dev.driftless.benchmarks;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.testinfra.faults.FaultProxy;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The measuring part of {@link FreshnessBenchmark}: capacity, the steady-rate phases and the outage
 * runs, and what the report says about them. Driven by one thread.
 */
final class FreshnessRun {

  static final int WRITERS = 8;
  static final int SAMPLES_PER_SECOND = 20;
  static final Duration WARMUP = Duration.ofSeconds(5);

  /**
   * The capacity run's measured window: short, because writers that outpace the pipeline leave a
   * backlog it must work off before the next phase.
   */
  static final Duration CAPACITY_WINDOW = Duration.ofSeconds(10);

  /** Each step of the sustained-rate search: measured after {@link #WARMUP}. */
  static final Duration STEP = Duration.ofSeconds(10);

  /** A step passes when the pipeline's lag at its end is at most this. */
  static final Duration STEP_MAX_LAG = Duration.ofSeconds(1);

  /** And when it acknowledged at least this share of the changes committed in the step. */
  static final double STEP_MIN_ACKED = 0.95;

  /** The first step's rate, and the factor between steps before the first failure. */
  static final double FIRST_STEP = 50;

  static final double STEP_FACTOR = 2;

  /** Bisections between the last passing and the first failing step. */
  static final int BISECTIONS = 2;

  static final Duration BEFORE_OUTAGE = Duration.ofSeconds(10);
  static final Duration OUTAGE = Duration.ofSeconds(30);
  static final Duration AFTER_OUTAGE = Duration.ofSeconds(50);
  private static final long START_DELAY = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long STATUS_EVERY = TimeUnit.MILLISECONDS.toNanos(100);
  private static final Duration CATCH_UP = Duration.ofMinutes(10);

  /** One measured steady-rate phase. */
  record Phase(
      String name,
      double rate,
      int rep,
      long measured,
      Histogram ack,
      Histogram get,
      Histogram search,
      Histogram lateness,
      FreshnessRecorder.Batches batches,
      double gcShare,
      Histogram wakeup) {}

  /** One outage run. */
  record Outage(
      int rep,
      double rate,
      Histogram ack,
      double drainSeconds,
      double maxLagSeconds,
      long maxUnacknowledged,
      long retries,
      List<LagChart.Point> points,
      double drainedAt) {}

  private final Report report;
  private final int seconds;
  private final int reps;
  private final String chartName;
  private final WakeupProbe wakeups = new WakeupProbe();
  private double capacity;
  private double closedLoop;
  private double capacityWritten;
  private final Map<String, Object> capacityFacts = new LinkedHashMap<>();
  private final List<Phase> phases = new ArrayList<>();
  private final List<Outage> outages = new ArrayList<>();
  private final List<String> loads = new ArrayList<>();

  FreshnessRun(Report report, int seconds, int reps, String chartName) {
    this.report = report;
    this.chartName = chartName;
    this.seconds = seconds;
    this.reps = reps;
  }

  private long measureNanos() {
    return TimeUnit.SECONDS.toNanos(seconds);
  }

  /** Capacity, then every rate phase {@code reps} times. */
  void steady(
      Pipeline pipeline, RateWriter writer, FreshnessRecorder recorder, VisibilityProbe probe)
      throws Exception {
    capacity(pipeline, writer);
    sustainable(pipeline, writer);
    List<String> names = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    names.add(String.format(Locale.ROOT, "%.0f tx/s", FreshnessBenchmark.OUTSIDE_RATE));
    rates.add(FreshnessBenchmark.OUTSIDE_RATE);
    for (double f : FreshnessBenchmark.FRACTIONS) {
      names.add(String.format(Locale.ROOT, "%.0f%% of capacity", f * 100));
      rates.add(Math.max(1, Math.floor(capacity * f)));
    }
    for (int i = 0; i < names.size(); i++) {
      report.contender(
          names.get(i),
          String.format(
              Locale.ROOT,
              "open loop at %.0f transactions/s (due times fixed in advance)",
              rates.get(i)));
    }
    for (int rep = 1; rep <= reps; rep++) {
      for (int i = 0; i < names.size(); i++) {
        phase(pipeline, writer, recorder, probe, names.get(i), rates.get(i), rep);
      }
    }
    wakeups.close();
    if (probe.givenUp() > 0) {
      report.note(probe.givenUp() + " visibility samples were not visible after 2 minutes.");
    }
  }

  private void capacity(Pipeline pipeline, RateWriter writer) throws Exception {
    String name = "capacity (closed loop)";
    report.contender(
        name,
        WRITERS
            + " connections writing as fast as they can while the pipeline follows; capacity ="
            + " min(transactions committed/s, changes acknowledged/s) over the measured window");
    System.out.println("[freshness] measuring capacity");
    long t0 = System.nanoTime() + START_DELAY;
    AtomicReference<RateWriter.@Nullable Result> result = new AtomicReference<>();
    AtomicReference<@Nullable Exception> failed = new AtomicReference<>();
    Thread w =
        new Thread(
            () -> {
              try {
                result.set(writer.run(t0, 0, WARMUP.toNanos(), CAPACITY_WINDOW.toNanos(), null, 1));
              } catch (Exception e) {
                failed.set(e);
              }
            },
            "fresh-capacity");
    w.start();
    parkUntil(t0 + WARMUP.toNanos());
    PipelineStatus s0 = pipeline.status();
    long n0 = System.nanoTime();
    parkUntil(t0 + WARMUP.toNanos() + CAPACITY_WINDOW.toNanos());
    PipelineStatus s1 = pipeline.status();
    long n1 = System.nanoTime();
    w.join();
    Exception e = failed.get();
    RateWriter.Result r = result.get();
    if (e != null || r == null) {
      throw new IllegalStateException("capacity writers failed", e);
    }
    double written = r.measured() / (CAPACITY_WINDOW.toNanos() / 1e9);
    double acked = (s1.eventsSettled() - s0.eventsSettled()) / ((n1 - n0) / 1e9);
    closedLoop = Math.min(written, acked);
    capacityWritten = written;
    capacity = closedLoop;
    long caughtFrom = System.nanoTime();
    caughtUp(pipeline);
    capacityFacts.put("transactions committed per second", Math.round(written));
    capacityFacts.put("changes acknowledged per second", Math.round(acked));
    capacityFacts.put("closed-loop capacity", Math.round(closedLoop));
    capacityFacts.put("lag at the end of the window", s1.lagTime().toMillis() + " ms");
    capacityFacts.put(
        "catch-up after the writers stopped",
        String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - caughtFrom) / 1e9));
    Map<String, Object> d = new LinkedHashMap<>(capacityFacts);
    d.put("writer commit latency p99 ms", Latency.of(r.lateness()).p99());
    report.run(
        new Run(
            name,
            1,
            Math.round(closedLoop * CAPACITY_WINDOW.toSeconds()),
            CAPACITY_WINDOW.toNanos(),
            0,
            d));
    System.out.printf(
        Locale.ROOT,
        "[freshness] closed-loop capacity %.0f tx/s (written %.0f/s, acknowledged %.0f/s)%n",
        closedLoop,
        written,
        acked);
  }

  /**
   * The capacity the rate phases are fractions of: the highest open-loop rate the pipeline keeps up
   * with. The closed loop above measures something else: writers that never wait take the cores
   * from the walsender and the pipeline, so it gives the pipeline's share of a saturated machine,
   * not the rate a user can sustain. Steps from {@link #FIRST_STEP} tx/s up by {@link #STEP_FACTOR}
   * (up to what the writers reached in the closed loop), {@link #BISECTIONS} bisections after the
   * first failing step; a step passes when, at its end, the lag is at most {@link #STEP_MAX_LAG}
   * and the acknowledged changes are at least {@link #STEP_MIN_ACKED} of those committed. Falls
   * back to the closed-loop figure when no step passes.
   */
  private void sustainable(Pipeline pipeline, RateWriter writer) throws Exception {
    String name = "sustained (open-loop steps)";
    report.contender(
        name,
        String.format(
            Locale.ROOT,
            "open-loop steps of %d s from %.0f tx/s, ×%.0f, then %d bisections; a step passes when"
                + " the lag at its end is ≤ %d ms and ≥ %.0f%% of its changes were acknowledged;"
                + " capacity = the highest passing rate",
            STEP.toSeconds(),
            FIRST_STEP,
            STEP_FACTOR,
            BISECTIONS,
            STEP_MAX_LAG.toMillis(),
            STEP_MIN_ACKED * 100));
    double ceiling = Math.max(FIRST_STEP, capacityWritten);
    double passed = 0;
    double failed = 0;
    List<String> steps = new ArrayList<>();
    for (double rate = FIRST_STEP; ; rate = Math.min(ceiling, Math.floor(rate * STEP_FACTOR))) {
      if (!step(pipeline, writer, rate, steps)) {
        failed = rate;
        break;
      }
      passed = rate;
      if (rate >= ceiling) {
        break; // the writers' own ceiling: the pipeline is not what limits
      }
    }
    for (int i = 0; i < BISECTIONS && passed > 0 && failed > 0; i++) {
      double mid = Math.floor((passed + failed) / 2);
      if (mid <= passed || mid >= failed) {
        break;
      }
      if (step(pipeline, writer, mid, steps)) {
        passed = mid;
      } else {
        failed = mid;
      }
    }
    if (passed > 0) {
      capacity = passed;
    }
    capacityFacts.put("sustained capacity", Math.round(capacity));
    capacityFacts.put("steps", String.join(", ", steps));
    report.run(
        new Run(
            name,
            1,
            Math.round(capacity * STEP.toSeconds()),
            STEP.toNanos(),
            0,
            Map.of("steps", String.join(", ", steps))));
    System.out.printf(
        Locale.ROOT, "[freshness] sustained capacity %.0f tx/s (%s)%n", capacity, steps);
  }

  /** One step of {@link #sustainable}: true when the pipeline kept up with {@code rate}. */
  private boolean step(Pipeline pipeline, RateWriter writer, double rate, List<String> steps)
      throws Exception {
    caughtUp(pipeline);
    long t0 = System.nanoTime() + START_DELAY;
    long commits0 = writer.commits();
    PipelineStatus s0 = pipeline.status();
    RateWriter.Result r = writer.run(t0, rate, WARMUP.toNanos(), STEP.toNanos(), null, 1);
    PipelineStatus s1 = pipeline.status();
    long committed = writer.commits() - commits0;
    long acked = s1.eventsSettled() - s0.eventsSettled();
    Duration lag = s1.lagTime();
    double late99 = Latency.of(r.lateness()).p99();
    boolean ok = lag.compareTo(STEP_MAX_LAG) <= 0 && acked >= STEP_MIN_ACKED * committed;
    steps.add(
        String.format(
            Locale.ROOT,
            "%.0f tx/s %s (lag %d ms, %d of %d acknowledged, writer late p99 %.0f ms)",
            rate,
            ok ? "kept up" : "fell behind",
            lag.toMillis(),
            acked,
            committed,
            late99));
    System.out.println("[freshness] step " + steps.get(steps.size() - 1));
    return ok;
  }

  private void phase(
      Pipeline pipeline,
      RateWriter writer,
      FreshnessRecorder recorder,
      VisibilityProbe probe,
      String name,
      double rate,
      int rep)
      throws Exception {
    Instant wall = Instant.now();
    long t0 = System.nanoTime() + START_DELAY;
    Instant from = wall.plusNanos(START_DELAY + WARMUP.toNanos());
    recorder.open(from, from.plusNanos(measureNanos()));
    recorder.takeBatches();
    wakeups.take();
    long gc0 = gcMillis();
    long n0 = System.nanoTime();
    int every = (int) Math.max(1, Math.round(rate / SAMPLES_PER_SECOND));
    RateWriter.Result r =
        writer.run(t0, rate, WARMUP.toNanos(), measureNanos(), probe::committed, every);
    double gcShare = (gcMillis() - gc0) / ((System.nanoTime() - n0) / 1e6);
    Histogram wakeup = wakeups.take();
    caughtUp(pipeline);
    FreshnessRecorder.Batches batches = recorder.takeBatches();
    Histogram[] visible = probe.drain(Duration.ofMinutes(3));
    Phase p =
        new Phase(
            name,
            rate,
            rep,
            r.measured(),
            recorder.snapshot(),
            visible[0],
            visible[1],
            r.lateness(),
            batches,
            gcShare,
            wakeup);
    phases.add(p);
    loads.add(MachineFacts.loadAverage());
    Latency ack = Latency.of(p.ack());
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("commit→ack p99 ms", ack.p99());
    d.put("commit→GET p99 ms", Latency.of(p.get()).p99());
    d.put("writer late p99 ms", Latency.of(p.lateness()).p99());
    report.run(new Run(name, rep, r.measured(), measureNanos(), 0, d));
    System.out.printf(
        Locale.ROOT,
        "[freshness] rep %d %s (%.0f tx/s): commit→ack %s; GET %s; search %s (ms p50|p95|p99|max)%n",
        rep,
        name,
        rate,
        ack.cells(),
        Latency.of(p.get()).cells(),
        Latency.of(p.search()).cells());
  }

  /** The 50% rate with the index refusing connections for {@link #OUTAGE}, {@code reps} times. */
  void outages(
      Pipeline pipeline,
      RateWriter writer,
      FreshnessRecorder recorder,
      FaultProxy proxy,
      Path chart)
      throws Exception {
    double rate = Math.max(1, Math.floor(capacity * 0.5));
    String name = "50% with a 30 s index outage";
    report.contender(
        name,
        String.format(
            Locale.ROOT,
            "open loop at %.0f tx/s for %d s; the index refuses connections from %d s to %d s"
                + " (a proxy closes its port and cuts live connections)",
            rate,
            BEFORE_OUTAGE.plus(OUTAGE).plus(AFTER_OUTAGE).toSeconds(),
            BEFORE_OUTAGE.toSeconds(),
            BEFORE_OUTAGE.plus(OUTAGE).toSeconds()));
    caughtUp(pipeline);
    for (int rep = 1; rep <= reps; rep++) {
      Outage o = outage(pipeline, writer, recorder, proxy, rate, rep);
      outages.add(o);
      Latency ack = Latency.of(o.ack());
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("drain s", Math.round(o.drainSeconds() * 10) / 10.0);
      d.put("max lag s", Math.round(o.maxLagSeconds() * 10) / 10.0);
      d.put("commit→ack p99 ms", ack.p99());
      long total = BEFORE_OUTAGE.plus(OUTAGE).plus(AFTER_OUTAGE).toNanos();
      report.run(new Run(name, rep, ack.count(), total, 0, d));
      System.out.printf(
          Locale.ROOT,
          "[freshness] outage rep %d: drained %.1f s after the index came back; max lag %.1f s%n",
          rep,
          o.drainSeconds(),
          o.maxLagSeconds());
    }
    List<Outage> byDrain = new ArrayList<>(outages);
    byDrain.sort(Comparator.comparingDouble(Outage::drainSeconds));
    Outage median = byDrain.get(byDrain.size() / 2);
    Files.createDirectories(chart.toAbsolutePath().getParent());
    double from = BEFORE_OUTAGE.toNanos() / 1e9;
    Files.writeString(
        chart,
        LagChart.svg(
            String.format(
                Locale.ROOT,
                "Driftless lag during a 30 s OpenSearch outage (repetition %d of %d, the median"
                    + " drain)",
                median.rep(),
                outages.size()),
            median.points(),
            from,
            from + OUTAGE.toNanos() / 1e9,
            median.drainedAt(),
            rate),
        StandardCharsets.UTF_8);
    System.out.println("[freshness] wrote " + chart.toAbsolutePath().normalize());
  }

  private Outage outage(
      Pipeline pipeline,
      RateWriter writer,
      FreshnessRecorder recorder,
      FaultProxy proxy,
      double rate,
      int rep)
      throws Exception {
    long total = BEFORE_OUTAGE.plus(OUTAGE).plus(AFTER_OUTAGE).toNanos();
    PipelineStatus start = pipeline.status();
    long commits0 = writer.commits();
    Instant wall = Instant.now();
    long t0 = System.nanoTime() + START_DELAY;
    recorder.open(wall, wall.plusNanos(START_DELAY + total));
    AtomicReference<@Nullable Exception> failed = new AtomicReference<>();
    Thread w =
        new Thread(
            () -> {
              try {
                writer.run(t0, rate, 0, total, null, 1);
              } catch (Exception e) {
                failed.set(e);
              }
            },
            "fresh-outage-writer");
    w.start();
    long downAt = t0 + BEFORE_OUTAGE.toNanos();
    long upAt = downAt + OUTAGE.toNanos();
    long giveUp = t0 + total + CATCH_UP.toNanos();
    boolean down = false;
    boolean up = false;
    Instant upWall = Instant.MAX;
    long before = Long.MAX_VALUE;
    double drainedAt = -1;
    double maxLag = 0;
    long maxUnacked = 0;
    List<LagChart.Point> points = new ArrayList<>();
    long next = t0;
    while (w.isAlive() || drainedAt < 0) {
      long now = System.nanoTime();
      if (now > giveUp || pipeline.failure().isPresent()) {
        throw new IllegalStateException(
            "the outage run did not drain: " + pipeline.status().summary(),
            pipeline.failure().orElse(null));
      }
      if (!down && now >= downAt) {
        proxy.refuse(true);
        down = true;
      }
      if (down && !up && now < upAt) {
        // A connection the proxy accepted just before refusing may not be registered yet when it
        // cuts the live ones, and would carry the sink's keep-alive requests through the outage.
        proxy.cutConnections();
      }
      if (down && !up && now >= upAt) {
        proxy.accept();
        up = true;
        upWall = Instant.now();
        before = writer.commits() - commits0;
      }
      PipelineStatus st = pipeline.status();
      double t = (System.nanoTime() - t0) / 1e9;
      long received = st.eventsReceived() - start.eventsReceived();
      long unacked = st.eventsReceived() - st.eventsSettled();
      double lag = st.lagTime().toNanos() / 1e9;
      points.add(new LagChart.Point(Math.max(0, t), lag, unacked));
      maxLag = Math.max(maxLag, lag);
      maxUnacked = Math.max(maxUnacked, unacked);
      if (up && drainedAt < 0 && received >= before) {
        boolean nothingOlder = unacked == 0 || st.takenAt().minus(st.lagTime()).isAfter(upWall);
        if (nothingOlder) {
          drainedAt = t;
        }
      }
      next += STATUS_EVERY;
      long wake = next;
      if (!down) {
        wake = Math.min(wake, downAt);
      } else if (!up) {
        wake = Math.min(wake, upAt);
      }
      parkUntil(wake);
    }
    w.join();
    Exception e = failed.get();
    if (e != null) {
      throw e;
    }
    caughtUp(pipeline);
    loads.add(MachineFacts.loadAverage());
    double upSeconds = (upAt - t0) / 1e9;
    return new Outage(
        rep,
        rate,
        recorder.snapshot(),
        drainedAt - upSeconds,
        maxLag,
        maxUnacked,
        pipeline.status().retries() - start.retries(),
        points,
        drainedAt);
  }

  /** Milliseconds this JVM (the pipeline and the OpenSearch node) spent collecting garbage. */
  private static long gcMillis() {
    long ms = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms;
  }

  private static void caughtUp(Pipeline pipeline) throws Exception {
    if (!pipeline.awaitCaughtUp(CATCH_UP)) {
      throw new IllegalStateException(
          "pipeline not caught up within " + CATCH_UP + ": " + pipeline.status().summary(),
          pipeline.failure().orElse(null));
    }
  }

  private static void parkUntil(long nanoTime) {
    long wait;
    while ((wait = nanoTime - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  /** Fills the report's sections, notes and JSON. */
  void write() throws IOException {
    new FreshnessReport(report, capacity, capacityFacts, phases, outages, loads, reps, chartName)
        .write();
  }
}
