package dev.driftless.testinfra.dynamodb.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/** Scripted faults: rules matched per operation (and shard), counted per matching call. */
public final class Faults {

  /** What a rule does to a matching call. */
  public enum Kind {
    THROTTLING,
    LIMIT_EXCEEDED,
    PROVISIONED_THROUGHPUT_EXCEEDED,
    INTERNAL_SERVER_ERROR,
    CONNECTION_RESET,
    CORRUPT_CRC32,
    DELAY_ONLY,
    EXPIRED_ITERATOR,
    TRIMMED_DATA_ACCESS,
    UNPROCESSED_KEYS
  }

  /**
   * One rule: skip the first {@code skip} matching calls, then hit {@code times} (negative:
   * always).
   */
  public static final class Rule {
    final String operation;
    final @Nullable String shardId;
    final Kind kind;
    final Duration delay;
    final double probability;
    int skip;
    int times;
    int hits;

    public Rule(
        String operation,
        @Nullable String shardId,
        Kind kind,
        Duration delay,
        double probability,
        int skip,
        int times) {
      this.operation = operation;
      this.shardId = shardId;
      this.kind = kind;
      this.delay = delay;
      this.probability = probability;
      this.skip = skip;
      this.times = times;
    }

    public Kind kind() {
      return kind;
    }

    public Duration delay() {
      return delay;
    }
  }

  @GuardedBy("this")
  private final List<Rule> rules = new ArrayList<>();

  @GuardedBy("this")
  private final Random random;

  @GuardedBy("this")
  private final List<Rule> fired = new ArrayList<>();

  public Faults(long seed) {
    this.random = new Random(seed);
  }

  public synchronized void add(Rule r) {
    rules.add(r);
  }

  public synchronized void clear() {
    rules.clear();
  }

  /** How many calls any rule has hit so far. */
  public synchronized int hits() {
    int n = 0;
    for (Rule r : fired) {
      n += r.hits;
    }
    return n;
  }

  /** The first live rule matching this call, consuming one use of it; null when none applies. */
  synchronized @Nullable Rule match(String operation, @Nullable String shardId) {
    for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
      Rule r = it.next();
      if (!r.operation.equals(operation) && !r.operation.equals("*")) {
        continue;
      }
      if (r.shardId != null && !r.shardId.equals(shardId)) {
        continue;
      }
      if (r.skip > 0) {
        r.skip--;
        continue;
      }
      if (r.probability < 1 && random.nextDouble() >= r.probability) {
        continue;
      }
      r.hits++;
      if (!fired.contains(r)) {
        fired.add(r);
      }
      if (r.times > 0 && --r.times == 0) {
        it.remove();
      }
      return r;
    }
    return null;
  }
}
