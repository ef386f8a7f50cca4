package dev.driftless.core;

import dev.driftless.core.internal.DefaultCheckpointStore;
import dev.driftless.core.internal.PipelineHooks;
import dev.driftless.core.internal.PipelineRunner;
import dev.driftless.core.internal.PipelineSettings;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.spi.DocumentMapper;
import dev.driftless.core.spi.VersionedSink;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Streams every change of a {@link ChangeSource} into a {@link VersionedSink}: polls the source
 * when there is room, maps rows to documents, writes them in per-key order and in parallel across
 * keys, retries outages, dead-letters poison events, and commits a source position only when
 * everything at or before it is settled.
 *
 * <pre>{@code
 * try (Pipeline pipeline = Pipeline.builder()
 *     .source(source)
 *     .sink(sink)
 *     .deadLetterStore(FileDeadLetterStore.open(Path.of("dead-letters.jsonl")))
 *     .build()) {
 *   pipeline.start();
 *   pipeline.awaitTermination(Duration.ofHours(1));
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} drains what is in flight (up to the drain timeout), commits, and
 * closes the source and sink.
 */
public final class Pipeline implements AutoCloseable {

  static {
    // The test kit's way to the runner (crash simulation, peak counters); see PipelineHooks.
    PipelineHooks.registerRunnerAccess(p -> p.runner);
  }

  private final PipelineRunner runner;

  private Pipeline(PipelineSettings settings) {
    this.runner = new PipelineRunner(settings);
  }

  /** A builder with the defaults documented on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the source, the sink and the pipeline's threads. Returns once the source and sink have
   * started, or the source has started and the sink is unreachable.
   *
   * <p>An unreachable index (the sink's start throws {@link RetriableException}: a rolling restart
   * of the search cluster, or the application starting first) does not fail the start: the pipeline
   * runs, {@link PipelineStatus#sinkOutage()} says why the sink is unavailable, the sink's start is
   * retried in the background with the {@link Builder#retry} backoff, and writing begins once it
   * succeeds. If the outage outlasts {@link Builder#outageDeadline}, or a later attempt fails for a
   * reason retrying cannot heal, the pipeline stops with that failure ({@link #failure()}).
   *
   * @throws IllegalStateException if already started
   * @throws DriftlessException if the source fails to start, or the sink fails to start for a
   *     reason retrying cannot heal (a {@link ConfigurationException}: refused credentials, an
   *     untrusted certificate)
   */
  public Pipeline start() {
    runner.start();
    return this;
  }

  /**
   * Waits until the pipeline stopped (closed or failed).
   *
   * @return whether it stopped within {@code timeout}
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return runner.awaitTermination(timeout);
  }

  /**
   * Waits until everything received so far is settled and committed, or the pipeline stopped.
   *
   * @return whether the pipeline was idle within {@code timeout}
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    return runner.awaitIdle(timeout);
  }

  /**
   * The pipeline's {@linkplain Builder#name name}, as its listeners are told it (the {@code
   * pipeline} tag of its metrics).
   */
  public String name() {
    return runner.name();
  }

  /** A snapshot of the pipeline's progress. */
  public PipelineStatus status() {
    return runner.status();
  }

  /**
   * Waits until everything committed in the source so far is in the index: asks the source for its
   * {@linkplain ChangeSource#head() head} (a PostgreSQL source: the server's current WAL position)
   * and waits until the pipeline has written and committed up to it. For tests and for applications
   * that must read their own writes from the index ("everything up to now").
   *
   * @return true once caught up; false if {@code timeout} passed first or the pipeline stopped
   * @throws UnsupportedOperationException if the source cannot tell its head
   * @throws IllegalStateException if the pipeline is not running
   * @throws Exception if the source could not be asked for its head
   */
  public boolean awaitCaughtUp(Duration timeout) throws Exception {
    return runner.awaitCaughtUp(Objects.requireNonNull(timeout, "timeout"));
  }

  /** Why the pipeline failed, if it did. */
  public Optional<Throwable> failure() {
    return runner.failure();
  }

  /**
   * Replays dead letters: re-reads each dead-lettered key's current state through the source's
   * {@link dev.driftless.core.spi.RepairReader} and writes it through the pipeline (never the
   * stored payload). Letters whose key is then applied or stale are removed; those that fail again
   * stay, with their attempt count raised; a letter that a newer failure of its key replaced
   * meanwhile is counted as superseded and left to the newer letter. Blocks until the replayed
   * events are settled, or the pipeline stops (halts, fails, or ends its drain).
   *
   * @param max at most this many letters
   * @throws IllegalStateException if the pipeline is not running or the source cannot repair, or if
   *     it stopped during the replay: the letters whose keys were still in flight are then left as
   *     they were
   */
  public ReplayResult replayDeadLetters(int max) throws InterruptedException {
    return runner.replayDeadLetters(max);
  }

  /**
   * Repairs keys: re-reads their current state through the source's {@link
   * dev.driftless.core.spi.RepairReader} and writes it through the pipeline, in per-key order with
   * the stream and with the source's versions, so a repair never regresses a key (I3). A key that
   * no longer exists in the source is deleted from the index. This is what reconciliation uses.
   * Blocks until the repaired events are settled, or the pipeline stops (halts, fails, or ends its
   * drain): keys still in flight then count as {@linkplain RepairResult#failed() failed}.
   *
   * @throws IllegalStateException if the pipeline is not running or the source cannot repair
   */
  public RepairResult repair(java.util.Collection<DocumentKey> keys) throws InterruptedException {
    Objects.requireNonNull(keys, "keys");
    return runner.repair(keys);
  }

  /**
   * Adds a listener to the running (or not yet started) pipeline; closing the returned handle
   * removes it. Listeners given to {@link Builder#listener} are there from the start; {@link
   * Reconciler#schedule} adds one to hear of {@linkplain PipelineListener#sourceResynced resyncs}.
   */
  public AutoCloseable addListener(PipelineListener listener) {
    return runner.listeners().add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Stops polling, drains what is in flight (up to the drain timeout), commits the settled
   * position, and closes the source and the sink. Idempotent.
   */
  @Override
  public void close() {
    runner.close();
  }

  /**
   * What a dead-letter replay did.
   *
   * @param replayed letters whose keys were re-read and written successfully, and removed
   * @param failedAgain letters that failed again and stay in the store
   * @param superseded letters left alone because the store no longer held them as read: a newer
   *     letter of the same key replaced them while the replay ran (that letter stays, for the next
   *     replay), or the store held an older letter of a key beside a newer one
   */
  public record ReplayResult(int replayed, int failedAgain, int superseded) {}

  /**
   * What a repair did.
   *
   * @param applied keys whose re-read state was written
   * @param alreadyCurrent keys the index already held in that version or newer
   * @param failed keys that could not be repaired (the source returned nothing for them, or the
   *     write was rejected)
   */
  public record RepairResult(int applied, int alreadyCurrent, List<DocumentKey> failed) {
    public RepairResult {
      failed = List.copyOf(failed);
    }
  }

  /**
   * Configures a {@link Pipeline}. Each setter checks its argument at once; {@link #build()} checks
   * the rules between settings.
   */
  public static final class Builder {
    private String name = "driftless";
    private @Nullable ChangeSource source;
    private @Nullable VersionedSink sink;
    private DocumentMapper mapper = DocumentMapper.identity();
    private @Nullable DeadLetterStore deadLetterStore;
    private CheckpointStore checkpointStore = new DefaultCheckpointStore();
    private int batchSize = 500;
    private long batchBytes = 5L * 1024 * 1024;
    private Duration linger = Duration.ofMillis(5);
    private int maxInFlightEvents = 10_000;
    private long maxInFlightBytes = 64L * 1024 * 1024;
    private int parallelism = 4;
    private RetrySettings retry = RetrySettings.DEFAULT;
    private @Nullable Duration outageDeadline;
    private Duration commitInterval = Duration.ofSeconds(1);
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private final List<PipelineListener> listeners = new ArrayList<>();

    private Builder() {}

    /** The pipeline's name, used for threads, logs and checkpoints. Default {@code driftless}. */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new IllegalArgumentException(
            "name must be 1 to 64 characters of [A-Za-z0-9_.-], was '" + name + "'");
      }
      this.name = name;
      return this;
    }

    /** Where changes come from. Required. */
    public Builder source(ChangeSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** Where documents go. Required. */
    public Builder sink(VersionedSink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /** Row to document mapping and routing. Default: index each row as it is. */
    public Builder mapper(DocumentMapper mapper) {
      this.mapper = Objects.requireNonNull(mapper, "mapper");
      return this;
    }

    /**
     * Where poison events go. Required: choose a durable store (a {@code FileDeadLetterStore}) in
     * production, since the pipeline commits past an event once the store has it.
     */
    public Builder deadLetterStore(DeadLetterStore deadLetterStore) {
      this.deadLetterStore = Objects.requireNonNull(deadLetterStore, "deadLetterStore");
      return this;
    }

    /**
     * Where sources that keep no position of their own save it, and where sources save progress
     * (such as a backfill's) that must survive a restart. Default: in memory, and sources that can
     * keep their progress durable by themselves do so (a PostgreSQL source keeps its backfill
     * progress in its database; see docs/guarantees.md, "Restarts"). Once set, sources use this
     * store, so set a durable one ({@code FileCheckpointStore}) or none.
     */
    public Builder checkpointStore(CheckpointStore checkpointStore) {
      this.checkpointStore = Objects.requireNonNull(checkpointStore, "checkpointStore");
      return this;
    }

    /** Most events in one sink write, 1 to 100,000. Default 500. */
    public Builder batchSize(int events) {
      if (events < 1 || events > 100_000) {
        throw new IllegalArgumentException("batchSize must be in [1, 100000], was " + events);
      }
      this.batchSize = events;
      return this;
    }

    /** Most estimated bytes in one sink write, at least 1 KiB. Default 5 MiB. */
    public Builder batchBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("batchBytes must be at least 1024, was " + bytes);
      }
      this.batchBytes = bytes;
      return this;
    }

    /** How long a batch may wait to fill up, 0 to 10 s. Default 5 ms. */
    public Builder linger(Duration linger) {
      Objects.requireNonNull(linger, "linger");
      if (linger.isNegative() || linger.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("linger must be in [0, 10s], was " + linger);
      }
      this.linger = linger;
      return this;
    }

    /**
     * Most events received and not yet settled; the source is not polled beyond it. At least 1.
     * Default 10,000.
     */
    public Builder maxInFlightEvents(int events) {
      if (events < 1) {
        throw new IllegalArgumentException("maxInFlightEvents must be at least 1, was " + events);
      }
      this.maxInFlightEvents = events;
      return this;
    }

    /**
     * Most estimated bytes received and not yet settled; the source is not polled beyond it. At
     * least 1 KiB. Default 64 MiB.
     */
    public Builder maxInFlightBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxInFlightBytes must be at least 1024, was " + bytes);
      }
      this.maxInFlightBytes = bytes;
      return this;
    }

    /** Most sink writes at once, 1 to 256; the adaptive limit stays below it. Default 4. */
    public Builder parallelism(int writers) {
      if (writers < 1 || writers > 256) {
        throw new IllegalArgumentException("parallelism must be in [1, 256], was " + writers);
      }
      this.parallelism = writers;
      return this;
    }

    /**
     * Backoff for outages. Default {@link RetrySettings#DEFAULT}. With {@link #outageDeadline} it
     * makes the pipeline's {@link OutagePolicy}, which governs the sink's start and writes, the
     * source's calls and the outages a source reports, and which sources get from {@link
     * dev.driftless.core.spi.SourceContext#outagePolicy()}.
     */
    public Builder retry(RetrySettings retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * How long one outage may last before the pipeline stops with an error (nothing is
     * dead-lettered because of an outage). Default: retry forever.
     */
    public Builder outageDeadline(Duration deadline) {
      Objects.requireNonNull(deadline, "outageDeadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("outageDeadline must be positive, was " + deadline);
      }
      this.outageDeadline = deadline;
      return this;
    }

    /** How often the settled position is committed to the source, 0 to 1 h. Default 1 s. */
    public Builder commitInterval(Duration interval) {
      Objects.requireNonNull(interval, "commitInterval");
      if (interval.isNegative() || interval.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("commitInterval must be in [0, 1h], was " + interval);
      }
      this.commitInterval = interval;
      return this;
    }

    /** How long {@link Pipeline#close()} waits for in-flight events. Default 30 s. */
    public Builder drainTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "drainTimeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("drainTimeout must not be negative, was " + timeout);
      }
      this.drainTimeout = timeout;
      return this;
    }

    /** The clock for timestamps and lag. Default UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * An immutable pipeline, not yet started.
     *
     * @throws IllegalStateException naming the setting, if a required one is missing or two
     *     settings contradict each other
     */
    /**
     * Adds a listener told of what the pipeline does (see {@link PipelineListener}); may be called
     * more than once. None by default.
     */
    public Builder listener(PipelineListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    public Pipeline build() {
      return new Pipeline(settings());
    }

    /** The validated settings; for the runner's own tests. */
    PipelineSettings settings() {
      if (source == null) {
        throw new IllegalStateException("source is required");
      }
      if (sink == null) {
        throw new IllegalStateException("sink is required");
      }
      if (deadLetterStore == null) {
        throw new IllegalStateException(
            "deadLetterStore is required (FileDeadLetterStore for production,"
                + " InMemoryDeadLetterStore for tests)");
      }
      if (maxInFlightEvents < batchSize) {
        throw new IllegalStateException(
            "maxInFlightEvents ("
                + maxInFlightEvents
                + ") must be at least batchSize ("
                + batchSize
                + ")");
      }
      if (maxInFlightBytes < batchBytes) {
        throw new IllegalStateException(
            "maxInFlightBytes ("
                + maxInFlightBytes
                + ") must be at least batchBytes ("
                + batchBytes
                + ")");
      }
      return new PipelineSettings(
          name,
          source,
          sink,
          mapper,
          deadLetterStore,
          checkpointStore,
          batchSize,
          batchBytes,
          linger,
          maxInFlightEvents,
          maxInFlightBytes,
          parallelism,
          retry,
          outageDeadline,
          commitInterval,
          drainTimeout,
          clock,
          List.copyOf(listeners));
    }
  }
}
