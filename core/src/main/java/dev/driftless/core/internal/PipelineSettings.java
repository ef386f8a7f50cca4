package dev.driftless.core.internal;

import dev.driftless.core.PipelineListener;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.spi.DocumentMapper;
import dev.driftless.core.spi.VersionedSink;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The validated, immutable configuration of one pipeline (built by {@code Pipeline.Builder}). */
public record PipelineSettings(
    String name,
    ChangeSource source,
    VersionedSink sink,
    DocumentMapper mapper,
    DeadLetterStore deadLetterStore,
    CheckpointStore checkpointStore,
    int batchSize,
    long batchBytes,
    Duration linger,
    int maxInFlightEvents,
    long maxInFlightBytes,
    int parallelism,
    RetrySettings retry,
    @Nullable Duration outageDeadline,
    Duration commitInterval,
    Duration drainTimeout,
    Clock clock,
    List<PipelineListener> listeners) {}
