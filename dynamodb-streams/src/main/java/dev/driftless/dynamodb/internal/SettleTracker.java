package dev.driftless.dynamodb.internal;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns the pipeline's commits, which come in the order events were handed out and cover every
 * event up to a position, into per-shard progress: for each shard the last settled record's
 * sequence number and derived-version clock, and whether nothing of it is still unsettled. A record
 * the source dead-lettered itself is settled once everything handed out before it is.
 *
 * <p>Memory is bounded by the events in flight. Not thread-safe: the poll thread only.
 */
public final class SettleTracker {

  /**
   * One record handed out, as the checkpoint needs it.
   *
   * @param ordinal the hand-out order, increasing
   * @param shard its shard
   * @param sequence its sequence number
   * @param keyId its key's id (for the version clock)
   * @param clockSecond the clock's effective second its version used, or -1 without a clock
   * @param clockCount the key's count before it in that second
   * @param deadLettered whether the source stored it as a dead letter instead of an event
   */
  public record Delivery(
      long ordinal,
      String shard,
      SequenceNumber sequence,
      String keyId,
      long clockSecond,
      int clockCount,
      boolean deadLettered) {}

  private static final class Progress {
    @Nullable SequenceNumber sequence;
    long clockSecond;
    final Map<String, Integer> counts;
    final long notBeforeSecond;
    final long afterOrdinal;
    int outstanding;

    Progress(
        @Nullable SequenceNumber sequence,
        VersionClock clock,
        long notBeforeSecond,
        long afterOrdinal) {
      this.afterOrdinal = afterOrdinal;
      this.sequence = sequence;
      this.clockSecond = clock.second();
      this.counts = new HashMap<>(clock.counts());
      this.notBeforeSecond = notBeforeSecond;
    }
  }

  private final ArrayDeque<Delivery> unsettled = new ArrayDeque<>();
  private final Map<String, Progress> shards = new HashMap<>();
  private long committed = -1;
  private long lastDelivered = -1;

  /**
   * A shard starts being read from {@code sequence} (exclusive; null = its start) with {@code
   * clock}. Records of the shard handed out before (in an earlier holding of its lease, {@link
   * #forget forgotten} since) never move this progress.
   */
  public void start(
      String shard, @Nullable SequenceNumber sequence, VersionClock clock, long notBeforeSecond) {
    shards.put(shard, new Progress(sequence, clock, notBeforeSecond, lastDelivered));
  }

  public boolean tracks(String shard) {
    return shards.containsKey(shard);
  }

  /** A record was handed out (as an event or as a dead letter), in hand-out order. */
  public void delivered(Delivery delivery) {
    Progress p = shards.get(delivery.shard());
    if (p == null) {
      throw new IllegalStateException("shard " + delivery.shard() + " was not started");
    }
    if (delivery.ordinal() <= committed
        || (!unsettled.isEmpty() && delivery.ordinal() <= unsettled.peekLast().ordinal())) {
      throw new IllegalStateException("deliveries out of order at " + delivery.ordinal());
    }
    p.outstanding++;
    lastDelivered = delivery.ordinal();
    unsettled.addLast(delivery);
  }

  /**
   * Everything handed out up to {@code ordinal} is settled. Returns the shards whose progress
   * moved.
   *
   * @throws IllegalArgumentException if {@code ordinal} was never handed out or goes back
   */
  public Set<String> commit(long ordinal) {
    if (ordinal < committed) {
      throw new IllegalArgumentException("commit went back from " + committed + " to " + ordinal);
    }
    committed = ordinal;
    Set<String> moved = new HashSet<>();
    while (!unsettled.isEmpty()
        && (unsettled.peekFirst().ordinal() <= ordinal || unsettled.peekFirst().deadLettered())) {
      settle(unsettled.pollFirst(), moved);
    }
    return moved;
  }

  /**
   * Settles dead letters at the head (stored durably, they need no commit). Returns the shards
   * whose progress moved.
   */
  public Set<String> settleLeadingDeadLetters() {
    Set<String> moved = new HashSet<>();
    while (!unsettled.isEmpty() && unsettled.peekFirst().deadLettered()) {
      settle(unsettled.pollFirst(), moved);
    }
    return moved;
  }

  private void settle(Delivery d, Set<String> moved) {
    Progress p = shards.get(d.shard());
    if (p == null || d.ordinal() <= p.afterOrdinal) {
      return; // a shard forgotten (trimmed, or its lease lost), or an earlier holding of it
    }
    p.sequence = d.sequence();
    if (d.clockSecond() >= 0) {
      if (d.clockSecond() > p.clockSecond) {
        p.clockSecond = d.clockSecond();
        p.counts.clear();
      }
      p.counts.put(d.keyId(), d.clockCount() + 1);
    }
    p.outstanding--;
    moved.add(d.shard());
  }

  /** Whether every record handed out of {@code shard} is settled. */
  public boolean settled(String shard) {
    Progress p = shards.get(shard);
    return p == null || p.outstanding == 0;
  }

  /** The number of records handed out and not yet settled. */
  public int unsettledCount() {
    return unsettled.size();
  }

  /** The shard's checkpoint: its settled progress ({@code end}: the shard is done). */
  public ShardCheckpoint checkpoint(String shard, boolean end) {
    Progress p = shards.get(shard);
    if (p == null) {
      throw new IllegalStateException("shard " + shard + " was not started");
    }
    // A done shard keeps its final clock: a child not yet started goes on from it after a restart.
    return new ShardCheckpoint(p.sequence, end, p.notBeforeSecond, p.clockSecond, p.counts);
  }

  /**
   * Forgets {@code shards} and their unsettled records (their table is resynced: a backfill reads
   * everything again), so a shard started again under the same id starts clean.
   */
  public void abandon(Set<String> shards) {
    unsettled.removeIf(d -> shards.contains(d.shard()));
    shards.forEach(this.shards::remove);
  }

  public void forget(String shard) {
    shards.remove(shard);
  }
}
