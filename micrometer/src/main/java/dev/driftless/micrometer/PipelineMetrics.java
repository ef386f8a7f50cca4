package dev.driftless.micrometer;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.SourcePosition;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Micrometer meters of one {@link Pipeline}: events by outcome, retries, throttling and
 * outages, in-flight events and bytes, the adaptive limit, lag, the source's own numbers, batch
 * write latency, and the <b>freshness</b> of the index (commit in the database to acknowledgement
 * by the index, per change). Bind it before starting the pipeline, so that its counters see every
 * event:
 *
 * <pre>{@code
 * Pipeline pipeline = Pipeline.builder().name("orders")...build();
 * PipelineMetrics.bind(pipeline, registry);   // listens to the pipeline and registers the meters
 * pipeline.start();
 * }</pre>
 *
 * <p>In a framework that binds {@link MeterBinder} beans itself (Spring Boot), declare {@code
 * PipelineMetrics.of(pipeline)} as the bean: {@link #bindTo} both registers the meters and starts
 * listening to the pipeline. Registering it with {@code Pipeline.Builder.listener} is not needed
 * (and not possible: it needs the pipeline for its gauges).
 *
 * <p>Every meter is tagged {@code pipeline} (the pipeline's {@linkplain Pipeline#name name}) plus
 * the {@linkplain Builder#tags tags} given; meters about events also {@code collection}. Names and
 * meanings are listed in docs/operations.md ("Monitoring"). Counters come from the pipeline's
 * {@link PipelineListener} events, counted from the time of binding; gauges and the received and
 * coalesced counters read {@link Pipeline#status()}, at most once per {@linkplain
 * Builder#statusMaxAge status age} however many gauges a scrape reads.
 *
 * <p>Thread-safe. A meter or registry that throws cannot break the pipeline: the pipeline logs and
 * skips what a listener throws. {@link #close()} stops listening and removes the meters from the
 * registries it was bound to.
 */
public final class PipelineMetrics implements MeterBinder, PipelineListener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PipelineMetrics.class);

  /** The freshness SLO buckets by default: 100 ms, 250 ms, 1 s, 5 s, 30 s. */
  public static final List<Duration> DEFAULT_FRESHNESS_SLOS =
      List.of(
          Duration.ofMillis(100),
          Duration.ofMillis(250),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5),
          Duration.ofSeconds(30));

  private static final long SOURCE_CHECK_NANOS = 10_000_000_000L;

  private final Pipeline pipeline;
  private final Tags tags;
  private final Duration[] freshnessSlos;
  private final StatusCache status;
  private final List<RegistryMeters> bound = new CopyOnWriteArrayList<>();
  private final AtomicReference<@Nullable BackfillProgress> backfill = new AtomicReference<>();
  private final AtomicLong sourceCheckedNanos = new AtomicLong(System.nanoTime());
  private final Object lock = new Object();

  @GuardedBy("lock")
  private @Nullable AutoCloseable listening;

  @GuardedBy("lock")
  private boolean closed;

  private PipelineMetrics(Builder b) {
    this.pipeline = b.pipeline;
    this.tags = Tags.of("pipeline", b.pipeline.name()).and(b.tags);
    this.freshnessSlos = b.freshnessSlos.toArray(Duration[]::new);
    this.status = new StatusCache(b.pipeline, b.statusMaxAge);
  }

  /**
   * Registers {@code pipeline}'s meters in {@code registry} and starts listening to it: the one
   * call most applications need (before {@link Pipeline#start()}).
   */
  public static PipelineMetrics bind(Pipeline pipeline, MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    PipelineMetrics metrics = of(pipeline);
    metrics.bindTo(registry);
    return metrics;
  }

  /** Meters of {@code pipeline} with the defaults, not yet bound to a registry. */
  public static PipelineMetrics of(Pipeline pipeline) {
    return builder(pipeline).build();
  }

  /** A builder for meters of {@code pipeline}. */
  public static Builder builder(Pipeline pipeline) {
    return new Builder(Objects.requireNonNull(pipeline, "pipeline"));
  }

  /**
   * Registers the meters in {@code registry} and, the first time, adds this as a listener of the
   * pipeline. May be called for several registries (each gets every meter); binding a registry
   * again does nothing (its meters would count twice).
   *
   * @throws IllegalStateException if closed
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("PipelineMetrics of " + pipeline.name() + " is closed");
      }
      for (RegistryMeters b : bound) {
        if (b.registry() == registry) {
          return;
        }
      }
      RegistryMeters meters = new RegistryMeters(registry, tags, freshnessSlos, status, backfill);
      meters.registerSourceGauges();
      if (backfill.get() != null) {
        meters.registerBackfillGauges();
      }
      bound.add(meters);
      if (listening == null) {
        listening = pipeline.addListener(this);
      }
    }
  }

  /**
   * Stops listening to the pipeline and removes every meter this registered from its registries.
   * Idempotent.
   */
  @Override
  public void close() {
    AutoCloseable registration;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      registration = listening;
      listening = null;
    }
    if (registration != null) {
      try {
        registration.close();
      } catch (Exception e) {
        LOG.debug("Pipeline {}: removing the metrics listener failed", pipeline.name(), e);
      }
    }
    for (RegistryMeters meters : bound) {
      meters.remove();
    }
    bound.clear();
  }

  /** The tags every meter of this pipeline carries ({@code pipeline} and the builder's). */
  public Tags tags() {
    return tags;
  }

  // ------------------------------------------------------------------ listener

  @Override
  public void started(String pipelineName) {
    status.invalidate();
    for (RegistryMeters m : bound) {
      m.registerSourceGauges();
    }
  }

  @Override
  public void batchWritten(String pipelineName, BatchWritten batch) {
    for (RegistryMeters m : bound) {
      m.batchWritten(batch);
    }
  }

  @Override
  public void deadLettered(String pipelineName, DeadLetter letter) {
    for (RegistryMeters m : bound) {
      m.collection(letter.key().collection()).deadLettered.increment();
    }
  }

  @Override
  public void retrying(String pipelineName, Side side, Throwable cause) {
    for (RegistryMeters m : bound) {
      m.retries(side).increment();
    }
  }

  @Override
  public void throttled(String pipelineName, int concurrencyLimit) {
    for (RegistryMeters m : bound) {
      m.throttles.increment();
    }
  }

  @Override
  public void stopped(String pipelineName, PipelineStatus last) {
    status.invalidate();
  }

  @Override
  public void failed(String pipelineName, Throwable cause) {
    status.invalidate();
  }

  @Override
  public void outageEnded(String pipelineName, Side side, Duration lasted) {
    status.invalidate();
  }

  @Override
  public void outageStarted(String pipelineName, Side side, Throwable cause) {
    status.invalidate();
    for (RegistryMeters m : bound) {
      m.outages(side).increment();
    }
  }

  @Override
  public void committed(String pipelineName, SourcePosition position) {
    // A source's details may appear once it has read something: look again now and then.
    long now = System.nanoTime();
    long checked = sourceCheckedNanos.get();
    boolean look =
        now - checked > SOURCE_CHECK_NANOS && sourceCheckedNanos.compareAndSet(checked, now);
    for (RegistryMeters m : bound) {
      m.commits.increment();
      if (look) {
        m.registerSourceGauges();
      }
    }
  }

  @Override
  public void backfillProgress(String pipelineName, BackfillProgress progress) {
    if (backfill.getAndSet(progress) == null) {
      for (RegistryMeters m : bound) {
        m.registerBackfillGauges();
      }
    }
  }

  @Override
  public void sourceResynced(String pipelineName) {
    for (RegistryMeters m : bound) {
      m.resyncs.increment();
    }
  }

  @Override
  public String toString() {
    return "PipelineMetrics[" + pipeline.name() + "]";
  }

  /** Configures a {@link PipelineMetrics}. */
  public static final class Builder {
    private final Pipeline pipeline;
    private Tags tags = Tags.empty();
    private List<Duration> freshnessSlos = DEFAULT_FRESHNESS_SLOS;
    private Duration statusMaxAge = Duration.ofSeconds(1);

    private Builder(Pipeline pipeline) {
      this.pipeline = pipeline;
    }

    /**
     * Tags added to every meter, beside {@code pipeline} (which they must not name). Default none.
     */
    public Builder tags(Iterable<Tag> tags) {
      Objects.requireNonNull(tags, "tags");
      for (Tag t : tags) {
        if (t.getKey().equals("pipeline") || t.getKey().equals("collection")) {
          throw new IllegalArgumentException(
              "tags must not name '" + t.getKey() + "': the meters set it themselves");
        }
      }
      this.tags = Tags.of(tags);
      return this;
    }

    /**
     * The service-level objectives of the freshness timer: each is a histogram bucket, so that the
     * share of changes fresher than it can be queried. Default {@link #DEFAULT_FRESHNESS_SLOS}.
     */
    public Builder freshnessSlos(Duration... slos) {
      Objects.requireNonNull(slos, "freshnessSlos");
      List<Duration> list = new ArrayList<>(Arrays.asList(slos));
      for (Duration d : list) {
        Objects.requireNonNull(d, "freshnessSlos element");
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("freshnessSlos must be positive, was " + d);
        }
      }
      this.freshnessSlos = List.copyOf(list);
      return this;
    }

    /**
     * How old a {@link Pipeline#status()} snapshot the gauges may read, 0 to 1 min: within a scrape
     * every gauge reads one snapshot. Default 1 s.
     */
    public Builder statusMaxAge(Duration maxAge) {
      Objects.requireNonNull(maxAge, "statusMaxAge");
      if (maxAge.isNegative() || maxAge.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("statusMaxAge must be in [0, 1min], was " + maxAge);
      }
      this.statusMaxAge = maxAge;
      return this;
    }

    /** The meters, not yet bound to a registry. */
    public PipelineMetrics build() {
      return new PipelineMetrics(this);
    }
  }
}
