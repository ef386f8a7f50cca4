package dev.driftless.dynamodb.internal;

import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One row of a lease table (KCL-style): a unit of work — a shard of a stream, or any other key such
 * as a segment of a parallel scan — that one worker at a time owns. Nothing here is specific to
 * shards: the {@code checkpoint} and {@code state} are opaque text to the {@link LeaseTable} and
 * the {@link LeaseCoordinator}, except {@link #END}, which marks the work finished.
 *
 * @param key the lease key, unique within its scope
 * @param owner the worker holding it, or {@code null} for nobody (new, or released)
 * @param counter increased by every write of the owner (renewal, checkpoint) and by every take; a
 *     counter that stops moving for the lease duration means its owner is gone
 * @param checkpoint {@link #START}, {@link #END}, or the owner's progress
 * @param parents keys of leases that must be {@link #END finished} (or absent) before this one may
 *     be taken
 * @param state further data the work needs to resume (opaque), or {@code null}
 */
public record Lease(
    String key,
    @Nullable String owner,
    long counter,
    String checkpoint,
    Set<String> parents,
    @Nullable String state) {

  /** The checkpoint of work not started: read from the beginning. */
  public static final String START = "TRIM_HORIZON";

  /** The checkpoint of finished work. */
  public static final String END = "SHARD_END";

  public Lease {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(checkpoint, "checkpoint");
    parents = Set.copyOf(parents);
  }

  /** A new lease, owned by nobody, at {@code checkpoint}. */
  public static Lease create(
      String key, String checkpoint, Set<String> parents, @Nullable String state) {
    return new Lease(key, null, 0, checkpoint, parents, state);
  }

  public boolean finished() {
    return END.equals(checkpoint);
  }
}
