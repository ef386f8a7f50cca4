package dev.driftless.core;

import dev.driftless.core.FingerprintSides.Difference;
import dev.driftless.core.internal.Listeners;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves, or restores, that an index matches its database ("trust but verify").
 *
 * <p>One run compares one collection:
 *
 * <ol>
 *   <li>Both sides summarise the whole bucket space split into ranges ({@link Builder#splits}): a
 *       count and exact sums of the per-key fingerprint parts per range.
 *   <li>The ranges whose summaries differ are split again, all of one level in one request per
 *       side, until a range holds at most {@link Builder#listThreshold} keys on either side; then
 *       both sides list the keys of all such leaf ranges, with their fingerprints, in one request.
 *   <li>Each differing key is classified: <em>missing</em> (only in the source), <em>phantom</em>
 *       (only in the index) or <em>stale</em> (fingerprints differ). After {@link
 *       Builder#verifyDelay} both sides read those keys again by point reads: a key that then
 *       matches changed during the comparison and is left alone.
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

  /** Reader calls: 100 ms doubling to 5 s, ±20%, for up to 15 s. */
  static final OutagePolicy DEFAULT_OUTAGE_POLICY =
      OutagePolicy.of(
          new RetrySettings(Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, 0.2),
          Duration.ofSeconds(15));

  private static final long KEYS_PER_FIRST_RANGE = 256;
  private static final long MIN_FIRST_SPLITS = 16;
  private static final int MAX_SPLITS = 1 << 16;
  private static final long LIST_BATCH_KEYS = 100_000;
  private static final int READ_BATCH_KEYS = 5_000;

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
  private final FingerprintSides sides;
  private final Listeners listeners;

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
    this.sides =
        new FingerprintSides(source, sourceCollection, index, indexCollection, b.outagePolicy);
    this.listeners = new Listeners("reconciler-" + sourceCollection, b.listeners);
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
    RunCounters c = new RunCounters();
    long space = source.bucketCount();
    if (index.bucketCount() != space) {
      throw new IllegalStateException(
          "the source and the index bucket keys differently: "
              + space
              + " vs "
              + index.bucketCount()
              + " buckets");
    }

    // 1-2: descend from the whole space into mismatching ranges, one level at a time: every
    // mismatching range of a level is summarised in one request per side.
    List<BucketRange> leaves = new ArrayList<>();
    List<Long> leafKeys = new ArrayList<>();
    List<BucketRange> level = List.of(new BucketRange(0, space));
    int fanout = splits > 0 ? splits : firstSplits(space, c);
    boolean top = true;
    while (!level.isEmpty()) {
      Map<BucketRange, BucketSummary> s = sides.summaries(true, level, fanout, c);
      Map<BucketRange, BucketSummary> i = sides.summaries(false, level, fanout, c);
      Set<BucketRange> ranges = new LinkedHashSet<>(s.keySet());
      ranges.addAll(i.keySet());
      List<BucketRange> next = new ArrayList<>();
      List<Long> nextKeys = new ArrayList<>();
      for (BucketRange sub : ranges) {
        BucketSummary a = s.get(sub);
        BucketSummary b = i.get(sub);
        if (top) {
          c.sourceRows += a == null ? 0 : a.count();
          c.indexDocuments += b == null ? 0 : b.count();
        }
        c.rangesCompared++;
        if (FingerprintSides.same(a, b)) {
          continue;
        }
        c.rangesMismatched++;
        long keys = Math.max(a == null ? 0 : a.count(), b == null ? 0 : b.count());
        if (keys <= listThreshold || sub.width() <= 1) {
          leaves.add(sub);
          leafKeys.add(keys);
        } else {
          next.add(sub);
          nextKeys.add(keys);
        }
      }
      top = false;
      level = next;
      fanout = nextSplits(nextKeys);
      throttle();
    }

    // 3: list the leaves, classify, re-verify the differences by point reads.
    Map<String, Difference> candidates = new TreeMap<>();
    int from = 0;
    while (from < leaves.size()) {
      // Batches bound memory: a whole table missing from the index is listed in slices.
      int to = from;
      long keys = 0;
      while (to < leaves.size() && (to == from || keys + leafKeys.get(to) <= LIST_BATCH_KEYS)) {
        keys += leafKeys.get(to++);
      }
      candidates.putAll(diff(leaves.subList(from, to), c));
      from = to;
      throttle();
    }
    if (!candidates.isEmpty() && !verifyDelay.isZero()) {
      Thread.sleep(verifyDelay.toMillis());
    }
    Map<String, Difference> confirmed = verify(candidates.keySet(), c);
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
            bytesBefore < 0 || bytesAfter < 0 ? -1 : bytesAfter - bytesBefore,
            c,
            sample);
    LOG.info("{}", report.summary());
    ReconciliationReport done = report;
    listeners.tell("reconciled", l -> l.reconciled(done));
    return report;
  }

  /**
   * Runs {@link #run()} every {@code interval} on a daemon thread, the first run after one
   * interval; each report goes to {@code onReport}. With a {@linkplain Builder#pipeline pipeline},
   * a run also starts at once whenever the pipeline's source reports a full resync ({@link
   * PipelineListener#sourceResynced}), to remove what the gap left behind. Failures are logged and
   * the schedule goes on. Close the returned handle to stop.
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
    Runnable task =
        () -> {
          try {
            onReport.accept(run());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            LOG.warn("Scheduled reconciliation of {} failed", sourceCollection, e);
          }
        };
    timer.scheduleWithFixedDelay(
        task, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    Pipeline p = pipeline;
    AutoCloseable listening =
        p == null
            ? () -> {}
            : p.addListener(
                new PipelineListener() {
                  @Override
                  public void sourceResynced(String pipelineName) {
                    LOG.info("The source of {} resynced: reconciling now", sourceCollection);
                    timer.execute(task);
                  }
                });
    return () -> {
      listening.close();
      timer.shutdownNow();
      timer.awaitTermination(10, TimeUnit.SECONDS);
    };
  }

  private long bytes() {
    return sides.bytesRead();
  }

  private void throttle() throws InterruptedException {
    if (!pause.isZero()) {
      Thread.sleep(pause.toMillis());
    }
  }

  /**
   * The first level's split count: about {@link #KEYS_PER_FIRST_RANGE} of the index's documents per
   * range (one aggregation tells how many there are), a power of two so that every level's ranges
   * stay aligned.
   */
  private int firstSplits(long space, RunCounters c) throws InterruptedException {
    c.summaryRequests++;
    List<BucketSummary> all =
        sides.call(
            "counting " + indexCollection,
            () -> index.summarize(indexCollection, new BucketRange(0, space), 1));
    long count = 0;
    for (BucketSummary s : all) {
      count += s.count();
    }
    long wanted =
        Math.max(MIN_FIRST_SPLITS, (count + KEYS_PER_FIRST_RANGE - 1) / KEYS_PER_FIRST_RANGE);
    return (int) Math.min(Math.min(MAX_SPLITS, space), powerOfTwoAtLeast(wanted));
  }

  /**
   * The next level's split count: enough that a typical (median) mismatching range splits into
   * ranges of at most {@link Builder#listThreshold} keys, so most of them are listed next.
   */
  private int nextSplits(List<Long> keys) {
    if (keys.isEmpty()) {
      return 2;
    }
    List<Long> sorted = new ArrayList<>(keys);
    sorted.sort(null);
    long median = sorted.get(sorted.size() / 2);
    long wanted = (median + listThreshold - 1) / listThreshold;
    return (int) Math.max(2, Math.min(MAX_SPLITS, powerOfTwoAtLeast(wanted)));
  }

  private static long powerOfTwoAtLeast(long n) {
    return n <= 1 ? 1 : Long.highestOneBit(n - 1) << 1;
  }

  /** Lists {@code ranges} on both sides (one call each) and classifies every differing key. */
  private Map<String, Difference> diff(List<BucketRange> ranges, RunCounters c)
      throws InterruptedException {
    List<BucketRange> batch = List.copyOf(ranges);
    return sides.compare(
        "listing " + batch.size() + " bucket ranges of ", (r, coll) -> r.list(coll, batch), c);
  }

  /**
   * Reads the candidates again, by key, on both sides: what still differs, by class. A candidate
   * missing from the answer changed during the comparison.
   */
  private Map<String, Difference> verify(Set<String> candidates, RunCounters c)
      throws InterruptedException {
    Map<String, Difference> out = new HashMap<>();
    List<String> ids = new ArrayList<>(candidates);
    for (int from = 0; from < ids.size(); from += READ_BATCH_KEYS) {
      List<String> batch =
          List.copyOf(ids.subList(from, Math.min(ids.size(), from + READ_BATCH_KEYS)));
      Map<String, Difference> found =
          sides.compare(
              "re-reading " + batch.size() + " keys of ", (r, coll) -> r.read(coll, batch), c);
      for (String id : batch) {
        Difference d = found.get(id);
        if (d != null) {
          out.put(id, d);
        }
      }
      throttle();
    }
    return out;
  }

  /** Configures a {@link Reconciler}. */
  public static final class Builder {
    private @Nullable FingerprintReader source;
    private @Nullable FingerprintReader index;
    private @Nullable Pipeline pipeline;
    private @Nullable String sourceCollection;
    private @Nullable String indexCollection;
    private int splits = 0;
    private int listThreshold = 32;
    private Duration verifyDelay = Duration.ofSeconds(1);
    private Duration pause = Duration.ZERO;
    private Clock clock = Clock.systemUTC();
    private OutagePolicy outagePolicy = DEFAULT_OUTAGE_POLICY;
    private final List<PipelineListener> listeners = new ArrayList<>();

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

    /**
     * How many ranges the first level splits the whole bucket space into, 2 to 65,536. By default
     * it is sized from the index's document count (one aggregation): about 256 documents per range,
     * a power of two, at least 16. Deeper levels are always sized from the mismatching ranges' key
     * counts and {@link #listThreshold}.
     */
    public Builder splits(int splits) {
      if (splits < 2 || splits > MAX_SPLITS) {
        throw new IllegalArgumentException(
            "splits must be in [2, " + MAX_SPLITS + "], was " + splits);
      }
      this.splits = splits;
      return this;
    }

    /**
     * The most keys a mismatching range may hold on either side before it is listed key by key
     * rather than split further, 1 to 1,000,000. Default 32: listing a key moves about as many
     * bytes as a quarter of a range summary, so small leaves keep a run with many differences
     * cheap, at the price of one more summary level.
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

    /**
     * How a reader's outage ({@link RetriableException}: a restarting node, a dropped connection)
     * is retried before the run fails with a {@link DriftlessException} naming it. Default: 100 ms
     * doubling to 5 s, ±20% jitter, for up to 15 s. A policy without a deadline retries for as long
     * as the outage lasts.
     */
    public Builder outagePolicy(OutagePolicy policy) {
      this.outagePolicy = Objects.requireNonNull(policy, "outagePolicy");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Adds a listener told of each run's report ({@link PipelineListener#reconciled}), such as the
     * {@code driftless-micrometer} binder. None by default.
     */
    public Builder listener(PipelineListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
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
