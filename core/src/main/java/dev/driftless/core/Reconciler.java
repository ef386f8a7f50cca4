package dev.driftless.core;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves, or restores, that an index matches its database ("trust but verify").
 *
 * <p>One run compares one collection:
 *
 * <ol>
 *   <li>Both sides summarise the whole bucket space split into {@link Builder#splits} ranges: a
 *       count and exact sums of the per-key fingerprint parts per range.
 *   <li>A range whose summaries differ is split again, until it holds at most {@link
 *       Builder#listThreshold} keys on either side; then both sides list its keys with their
 *       fingerprints.
 *   <li>Each differing key is classified: <em>missing</em> (only in the source), <em>phantom</em>
 *       (only in the index) or <em>stale</em> (fingerprints differ). The differing ranges are
 *       listed once more after {@link Builder#verifyDelay}: a key that then matches changed during
 *       the comparison and is left alone.
 *   <li>The rest is repaired through the pipeline ({@link Pipeline#repair}): the source re-reads
 *       each key and the pipeline writes it with the source's version, so a false positive costs
 *       one no-op write and a repair can never regress a key (I3).
 * </ol>
 *
 * <p>Bytes moved grow with the number of ranges and differences, not with the table's size. Safe
 * while the stream is live. Not thread-safe: one run at a time per instance.
 */
public final class Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final int SAMPLE_KEYS = 20;
  private static final int READER_ATTEMPTS = 8;

  private final FingerprintReader source;
  private final FingerprintReader index;
  private final @Nullable Pipeline pipeline;
  private final String sourceCollection;
  private final String indexCollection;
  private final int splits;
  private final int listThreshold;
  private final Duration verifyDelay;
  private final Duration pause;
  private final Clock clock;

  private Reconciler(Builder b) {
    this.source = Objects.requireNonNull(b.source);
    this.index = Objects.requireNonNull(b.index);
    this.pipeline = b.pipeline;
    this.sourceCollection = Objects.requireNonNull(b.sourceCollection);
    this.indexCollection = Objects.requireNonNull(b.indexCollection);
    this.splits = b.splits;
    this.listThreshold = b.listThreshold;
    this.verifyDelay = b.verifyDelay;
    this.pause = b.pause;
    this.clock = b.clock;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs one reconciliation: compares, re-verifies, and (if a pipeline was given) repairs.
   *
   * @throws DriftlessException if a reader fails
   */
  public ReconciliationReport run() throws InterruptedException {
    Instant started = clock.instant();
    long bytesBefore = bytes();
    Counters c = new Counters();
    long space = source.bucketCount();
    if (index.bucketCount() != space) {
      throw new IllegalStateException(
          "the source and the index bucket keys differently: "
              + space
              + " vs "
              + index.bucketCount()
              + " buckets");
    }

    // 1-2: descend from the whole space into mismatching ranges.
    List<BucketRange> leaves = new ArrayList<>();
    ArrayDeque<BucketRange> todo = new ArrayDeque<>();
    todo.add(new BucketRange(0, space));
    boolean top = true;
    while (!todo.isEmpty()) {
      BucketRange range = todo.poll();
      Map<BucketRange, BucketSummary> s = summaries(source, sourceCollection, range, c);
      Map<BucketRange, BucketSummary> i = summaries(index, indexCollection, range, c);
      Set<BucketRange> ranges = new LinkedHashSet<>(s.keySet());
      ranges.addAll(i.keySet());
      for (BucketRange sub : ranges) {
        BucketSummary a = s.get(sub);
        BucketSummary b = i.get(sub);
        if (top) {
          c.sourceRows += a == null ? 0 : a.count();
          c.indexDocuments += b == null ? 0 : b.count();
        }
        c.rangesCompared++;
        if (same(a, b)) {
          continue;
        }
        c.rangesMismatched++;
        long keys = Math.max(a == null ? 0 : a.count(), b == null ? 0 : b.count());
        if (keys <= listThreshold || sub.to() - sub.from() <= 1) {
          leaves.add(sub);
        } else {
          todo.add(sub);
        }
      }
      top = false;
      throttle();
    }

    // 3: list, classify, re-verify.
    Map<String, Difference> candidates = diff(leaves, c);
    if (!candidates.isEmpty() && !verifyDelay.isZero()) {
      Thread.sleep(verifyDelay.toMillis());
    }
    Map<String, Difference> confirmed = candidates.isEmpty() ? candidates : diff(leaves, c);
    List<String> sample = new ArrayList<>();
    List<DocumentKey> toRepair = new ArrayList<>();
    for (Map.Entry<String, Difference> e : candidates.entrySet()) {
      Difference now = confirmed.get(e.getKey());
      if (now == null) {
        c.changedDuringComparison++;
        continue;
      }
      switch (now) {
        case MISSING -> c.missing++;
        case STALE -> c.stale++;
        case PHANTOM -> c.phantom++;
      }
      if (sample.size() < SAMPLE_KEYS) {
        sample.add(now.name().toLowerCase(java.util.Locale.ROOT) + ":" + e.getKey());
      }
      toRepair.add(DocumentKey.of(sourceCollection, e.getKey()));
    }

    // 4: repair through the pipeline.
    if (pipeline != null && !toRepair.isEmpty()) {
      Pipeline.RepairResult result = pipeline.repair(toRepair);
      c.repaired = result.applied() + result.alreadyCurrent();
      c.repairFailed = result.failed().size();
    }
    long bytesAfter = bytes();
    ReconciliationReport report =
        new ReconciliationReport(
            sourceCollection,
            indexCollection,
            started,
            Duration.between(started, clock.instant()),
            c.sourceRows,
            c.indexDocuments,
            c.summaryRequests,
            c.rangesCompared,
            c.rangesMismatched,
            c.sourceListed,
            c.indexListed,
            bytesBefore < 0 || bytesAfter < 0 ? -1 : bytesAfter - bytesBefore,
            c.missing,
            c.stale,
            c.phantom,
            c.changedDuringComparison,
            c.repaired,
            c.repairFailed,
            sample);
    LOG.info("{}", report.summary());
    return report;
  }

  /**
   * Runs {@link #run()} every {@code interval} on a daemon thread, the first run after one
   * interval; each report goes to {@code onReport}. Failures are logged and the schedule goes on.
   * Close the returned handle to stop.
   */
  public AutoCloseable schedule(
      Duration interval, java.util.function.Consumer<ReconciliationReport> onReport) {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(onReport, "onReport");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, was " + interval);
    }
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "driftless-reconciler-" + sourceCollection);
              t.setDaemon(true);
              return t;
            });
    AtomicReference<@Nullable Throwable> last = new AtomicReference<>();
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            onReport.accept(run());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            last.set(e);
            LOG.warn("Scheduled reconciliation of {} failed", sourceCollection, e);
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return () -> {
      timer.shutdownNow();
      timer.awaitTermination(10, TimeUnit.SECONDS);
    };
  }

  private long bytes() {
    long a = source.bytesRead();
    long b = index.bytesRead();
    return a < 0 || b < 0 ? -1 : a + b;
  }

  private void throttle() throws InterruptedException {
    if (!pause.isZero()) {
      Thread.sleep(pause.toMillis());
    }
  }

  private Map<BucketRange, BucketSummary> summaries(
      FingerprintReader reader, String collection, BucketRange range, Counters c)
      throws InterruptedException {
    c.summaryRequests++;
    List<BucketSummary> list =
        withRetry(
            "summarising " + collection + " " + range,
            () -> reader.summarize(collection, range, splits));
    Map<BucketRange, BucketSummary> byRange = new HashMap<>();
    for (BucketSummary s : list) {
      if (s.count() > 0) {
        byRange.put(s.range(), s);
      }
    }
    return byRange;
  }

  private static boolean same(@Nullable BucketSummary a, @Nullable BucketSummary b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.count() == b.count()
        && a.sumLow() == b.sumLow()
        && a.sumMid() == b.sumMid()
        && a.sumHigh() == b.sumHigh();
  }

  private Map<String, Difference> diff(List<BucketRange> ranges, Counters c)
      throws InterruptedException {
    Map<String, Difference> out = new TreeMap<>();
    for (BucketRange range : ranges) {
      Map<String, Long> s = list(source, sourceCollection, range);
      Map<String, Long> i = list(index, indexCollection, range);
      c.sourceListed += s.size();
      c.indexListed += i.size();
      for (Map.Entry<String, Long> e : s.entrySet()) {
        Long other = i.get(e.getKey());
        if (other == null) {
          out.put(e.getKey(), Difference.MISSING);
        } else if (!other.equals(e.getValue())) {
          out.put(e.getKey(), Difference.STALE);
        }
      }
      for (String id : i.keySet()) {
        if (!s.containsKey(id)) {
          out.put(id, Difference.PHANTOM);
        }
      }
      throttle();
    }
    return out;
  }

  private static Map<String, Long> list(
      FingerprintReader reader, String collection, BucketRange range) throws InterruptedException {
    List<KeyFingerprint> keys =
        withRetry("listing " + collection + " " + range, () -> reader.list(collection, range));
    Map<String, Long> byId = new HashMap<>(keys.size() * 2);
    for (KeyFingerprint k : keys) {
      byId.put(k.key().id(), k.fingerprint());
    }
    return byId;
  }

  @FunctionalInterface
  private interface ReaderCall<T> {
    T call() throws Exception;
  }

  /**
   * A reader call, retried on {@link RetriableException} (a restarting node, a dropped connection)
   * with backoff from 100 ms up to {@link #READER_ATTEMPTS} attempts; other failures end the run.
   */
  private static <T> T withRetry(String what, ReaderCall<T> call) throws InterruptedException {
    long delayMillis = 100;
    for (int attempt = 1; ; attempt++) {
      try {
        return call.call();
      } catch (RetriableException e) {
        if (attempt >= READER_ATTEMPTS) {
          throw new DriftlessException(what + " failed " + attempt + " times: " + e, e);
        }
        LOG.warn(
            "{} failed (attempt {}), retrying in {} ms: {}",
            what,
            attempt,
            delayMillis,
            e.toString());
        Thread.sleep(delayMillis);
        delayMillis = Math.min(5_000, delayMillis * 2);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new DriftlessException(what + " failed: " + e, e);
      }
    }
  }

  private enum Difference {
    MISSING,
    STALE,
    PHANTOM
  }

  private static final class Counters {
    long sourceRows;
    long indexDocuments;
    long summaryRequests;
    long rangesCompared;
    long rangesMismatched;
    long sourceListed;
    long indexListed;
    long missing;
    long stale;
    long phantom;
    long changedDuringComparison;
    long repaired;
    long repairFailed;
  }

  /** Configures a {@link Reconciler}. */
  public static final class Builder {
    private @Nullable FingerprintReader source;
    private @Nullable FingerprintReader index;
    private @Nullable Pipeline pipeline;
    private @Nullable String sourceCollection;
    private @Nullable String indexCollection;
    private int splits = 64;
    private int listThreshold = 1_000;
    private Duration verifyDelay = Duration.ofSeconds(1);
    private Duration pause = Duration.ZERO;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The database side. Required. */
    public Builder source(FingerprintReader source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** The index side. Required. */
    public Builder index(FingerprintReader index) {
      this.index = Objects.requireNonNull(index, "index");
      return this;
    }

    /** The pipeline that repairs differences. Without it a run only reports. */
    public Builder pipeline(Pipeline pipeline) {
      this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
      return this;
    }

    /** The collection to compare, named the same on both sides. */
    public Builder collection(String collection) {
      return collections(collection, collection);
    }

    /** The collection to compare, as the source and as the index name it. */
    public Builder collections(String sourceCollection, String indexCollection) {
      Objects.requireNonNull(sourceCollection, "sourceCollection");
      Objects.requireNonNull(indexCollection, "indexCollection");
      if (sourceCollection.isBlank() || indexCollection.isBlank()) {
        throw new IllegalArgumentException("collections must not be blank");
      }
      this.sourceCollection = sourceCollection;
      this.indexCollection = indexCollection;
      return this;
    }

    /** How many ranges each summary request splits its range into, 2 to 1,024. Default 64. */
    public Builder splits(int splits) {
      if (splits < 2 || splits > 1_024) {
        throw new IllegalArgumentException("splits must be in [2, 1024], was " + splits);
      }
      this.splits = splits;
      return this;
    }

    /**
     * The most keys a mismatching range may hold on either side before it is listed key by key
     * rather than split further, 1 to 1,000,000. Default 1,000.
     */
    public Builder listThreshold(int keys) {
      if (keys < 1 || keys > 1_000_000) {
        throw new IllegalArgumentException("listThreshold must be in [1, 1000000], was " + keys);
      }
      this.listThreshold = keys;
      return this;
    }

    /**
     * How long to wait before re-listing differing ranges, so that changes in flight through the
     * pipeline land first, 0 to 10 min. Default 1 s.
     */
    public Builder verifyDelay(Duration delay) {
      Objects.requireNonNull(delay, "verifyDelay");
      if (delay.isNegative() || delay.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("verifyDelay must be in [0, 10min], was " + delay);
      }
      this.verifyDelay = delay;
      return this;
    }

    /** A pause between requests to either side, to throttle the load a run adds. Default none. */
    public Builder pauseBetweenRequests(Duration pause) {
      Objects.requireNonNull(pause, "pauseBetweenRequests");
      if (pause.isNegative() || pause.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "pauseBetweenRequests must be in [0, 1min], was " + pause);
      }
      this.pause = pause;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @throws IllegalStateException naming the missing setting
     */
    public Reconciler build() {
      if (source == null) {
        throw new IllegalStateException("source is required");
      }
      if (index == null) {
        throw new IllegalStateException("index is required");
      }
      if (sourceCollection == null) {
        throw new IllegalStateException("collection is required");
      }
      return new Reconciler(this);
    }
  }
}
