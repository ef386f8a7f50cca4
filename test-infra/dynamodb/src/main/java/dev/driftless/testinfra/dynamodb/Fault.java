package dev.driftless.testinfra.dynamodb;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A scripted fault: which calls it hits (an operation, optionally one shard, after some calls) and
 * what it does. Build one and hand it to {@link DynamoDbEmulator#inject(Fault)}:
 *
 * <pre>{@code
 * emulator.inject(Fault.on("GetRecords").afterCalls(2).times(3).respond(FaultKind.THROTTLING));
 * emulator.inject(Fault.on("DescribeStream").always().delay(Duration.ofMillis(200)));
 * }</pre>
 */
public final class Fault {
  final String operation;
  @Nullable String shardId;
  FaultKind kind = FaultKind.DELAY_ONLY;
  Duration delay = Duration.ZERO;
  double probability = 1;
  int skip;
  int times = 1;

  private Fault(String operation) {
    this.operation = operation;
  }

  /**
   * A fault on an operation name ({@code "GetRecords"}, {@code "PutItem"}, ...); {@code "*"}: any.
   */
  public static Fault on(String operation) {
    return new Fault(Objects.requireNonNull(operation, "operation"));
  }

  /** Only calls addressing this shard (GetShardIterator, GetRecords). */
  public Fault onShard(String shardId) {
    this.shardId = Objects.requireNonNull(shardId, "shardId");
    return this;
  }

  /** Lets the first {@code calls} matching calls through. */
  public Fault afterCalls(int calls) {
    if (calls < 0) {
      throw new IllegalArgumentException("calls must be >= 0: " + calls);
    }
    this.skip = calls;
    return this;
  }

  /** Hits this many matching calls (default 1). */
  public Fault times(int times) {
    if (times < 1) {
      throw new IllegalArgumentException("times must be >= 1: " + times);
    }
    this.times = times;
    return this;
  }

  /** Hits every matching call until {@link DynamoDbEmulator#clearFaults()}. */
  public Fault always() {
    this.times = -1;
    return this;
  }

  /**
   * Hits each matching call only with this probability (seeded by the emulator's seed), for storms:
   * {@code Fault.on("GetRecords").always().withProbability(0.3).respond(THROTTLING)}. Calls it lets
   * through do not count against {@link #times}.
   */
  public Fault withProbability(double probability) {
    if (!(probability > 0 && probability <= 1)) {
      throw new IllegalArgumentException("probability must be in (0, 1]: " + probability);
    }
    this.probability = probability;
    return this;
  }

  public Fault respond(FaultKind kind) {
    this.kind = Objects.requireNonNull(kind, "kind");
    return this;
  }

  /** Holds each hit call this long (real time) before answering. */
  public Fault delay(Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay);
    }
    this.delay = delay;
    return this;
  }
}
