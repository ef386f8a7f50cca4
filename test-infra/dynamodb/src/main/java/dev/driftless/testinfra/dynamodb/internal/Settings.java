package dev.driftless.testinfra.dynamodb.internal;

import java.time.Clock;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The emulator's fixed configuration, checked by the public builder. */
public record Settings(
    String region,
    String accountId,
    int partitions,
    Clock clock,
    Duration retention,
    @Nullable Duration rolloverInterval,
    Duration iteratorLifetime,
    long seed,
    int httpThreads) {}
