package dev.driftless.dynamodb;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Shares a stream's shards among several instances of one pipeline through leases in a DynamoDB
 * table (KCL-style; see the "Leases" section of {@code docs/dynamodb.md}). Give it to {@link
 * DynamoDbStreamsSourceBuilder#leases}; without it a pipeline reads every shard itself and keeps
 * its progress in the pipeline's {@code CheckpointStore}.
 *
 * <p>With leases, each shard is read by the one instance holding its lease, progress is written
 * into the lease (conditionally on its owner and counter, so an instance that lost a lease never
 * writes it again), a dead instance's leases are taken over once they expire, and a joining
 * instance steals leases until the shards are balanced. The lease table lives in the source's
 * {@code DynamoDbClient} and is created (on-demand capacity) if missing; several pipelines may
 * share one table (rows are keyed by pipeline name).
 */
public final class ShardLeases {
  private final String table;
  private final String workerId;
  private final Duration leaseDuration;
  private final Duration renewInterval;
  private final Duration takeInterval;

  private ShardLeases(Builder b, String table) {
    this.table = table;
    this.workerId = b.workerId;
    this.leaseDuration = b.leaseDuration;
    this.renewInterval = b.renewInterval;
    this.takeInterval = b.takeInterval;
  }

  /** Settings to fill in; {@link Builder#table} is required. */
  public static Builder settings() {
    return new Builder();
  }

  /** The lease table's name. */
  public String table() {
    return table;
  }

  /** This instance's name in the lease table. */
  public String workerId() {
    return workerId;
  }

  /** How long a lease may go unrenewed before other instances take it. */
  public Duration leaseDuration() {
    return leaseDuration;
  }

  /** The pause between renewals of the held leases. */
  public Duration renewInterval() {
    return renewInterval;
  }

  /** The pause between listings of the lease table that take expired leases and steal. */
  public Duration takeInterval() {
    return takeInterval;
  }

  @Override
  public String toString() {
    return "ShardLeases[table="
        + table
        + ", workerId="
        + workerId
        + ", leaseDuration="
        + leaseDuration
        + ", renewInterval="
        + renewInterval
        + ", takeInterval="
        + takeInterval
        + "]";
  }

  /**
   * Lease settings. Setters check their argument at once; the source builder's {@code build()}
   * checks the rest (a table is given; {@code renewInterval} at most half of {@code
   * leaseDuration}).
   */
  public static final class Builder {
    private @Nullable String table;
    private String workerId = UUID.randomUUID().toString();
    private Duration leaseDuration = Duration.ofSeconds(10);
    private Duration renewInterval = Duration.ofSeconds(3);
    private Duration takeInterval = Duration.ofSeconds(10);

    private Builder() {}

    /** The lease table (created if missing). Required. */
    public Builder table(String name) {
      Objects.requireNonNull(name, "name");
      if (name.length() < 3 || name.length() > 255 || !name.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException(
            "leases.table must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), was " + name);
      }
      this.table = name;
      return this;
    }

    /**
     * This instance's name, unique among the instances of the pipeline. Default: a random UUID (a
     * restarted instance is then a new worker, and waits for its old leases to expire unless it
     * closed cleanly).
     */
    public Builder workerId(String id) {
      Objects.requireNonNull(id, "id");
      if (id.isBlank() || id.length() > 256) {
        throw new IllegalArgumentException("leases.workerId must be 1-256 characters, not blank");
      }
      this.workerId = id;
      return this;
    }

    /** Default 10 s; [1 s, 10 min]. */
    public Builder leaseDuration(Duration duration) {
      this.leaseDuration =
          inRange(duration, "leases.leaseDuration", Duration.ofSeconds(1), Duration.ofMinutes(10));
      return this;
    }

    /** Default 3 s; [100 ms, 5 min]. */
    public Builder renewInterval(Duration interval) {
      this.renewInterval =
          inRange(interval, "leases.renewInterval", Duration.ofMillis(100), Duration.ofMinutes(5));
      return this;
    }

    /** Default 10 s; [100 ms, 10 min]. */
    public Builder takeInterval(Duration interval) {
      this.takeInterval =
          inRange(interval, "leases.takeInterval", Duration.ofMillis(100), Duration.ofMinutes(10));
      return this;
    }

    /**
     * The settings.
     *
     * @throws IllegalStateException naming the setting that is missing or inconsistent
     */
    public ShardLeases build() {
      String name = table;
      if (name == null) {
        throw new IllegalStateException("leases.table is required");
      }
      if (renewInterval.multipliedBy(2).compareTo(leaseDuration) > 0) {
        throw new IllegalStateException(
            "leases.renewInterval ("
                + renewInterval
                + ") must be at most half of leases.leaseDuration ("
                + leaseDuration
                + ")");
      }
      return new ShardLeases(this, name);
    }

    private static Duration inRange(Duration value, String name, Duration min, Duration max) {
      Objects.requireNonNull(value, name);
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            name + " must be in [" + min + ", " + max + "], was " + value);
      }
      return value;
    }
  }
}
