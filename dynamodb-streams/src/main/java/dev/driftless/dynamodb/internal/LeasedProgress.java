package dev.driftless.dynamodb.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The {@link StreamReader}'s progress with leases: commits become conditional checkpoint writes
 * into the held leases, shards whose lease was lost stop, shards the leases say are done count as
 * done, and leases are created and cleaned up as shards come and go. The reader's lock guards the
 * shard state it touches; lease writes happen outside it, ordered by {@link #writes} (taken before
 * the reader's lock, never inside it) so that a later checkpoint never overtakes an earlier one of
 * the same shard.
 */
final class LeasedProgress {
  private final ShardLeasing leasing;
  private final ReentrantLock lock;
  private final Condition changed;
  private final SettleTracker tracker;
  private final List<TableStream> tables;
  private final Predicate<ShardState> finish;
  private final Consumer<ShardState> stop;
  private final ReentrantLock writes = new ReentrantLock();

  /** Checkpoints not yet written (a write failed): lease key -> latest. Guarded by the lock. */
  private final Map<String, ShardLeasing.Pending> unwritten = new LinkedHashMap<>();

  /**
   * @param finish marks a shard done if it is read to its end and settled (under the lock)
   * @param stop stops a shard whose lease was lost (under the lock)
   */
  LeasedProgress(
      ReaderSettings settings,
      DynamoDbClient dynamoDb,
      String pipeline,
      ReentrantLock lock,
      Condition changed,
      SettleTracker tracker,
      List<TableStream> tables,
      Predicate<ShardState> finish,
      Consumer<ShardState> stop) {
    this.leasing =
        new ShardLeasing(
            java.util.Objects.requireNonNull(settings.leases()),
            settings.startingPosition(),
            dynamoDb,
            pipeline,
            this::wake);
    this.lock = lock;
    this.changed = changed;
    this.tracker = tracker;
    this.tables = tables;
    this.finish = finish;
    this.stop = stop;
  }

  ShardLeasing leasing() {
    return leasing;
  }

  /**
   * Settles up to {@code ordinal} (none if negative) and writes the progress of the shards that
   * moved, and the end of finished ones, into their leases, conditionally on owner and counter; a
   * lease lost meanwhile is not written (its shard stops on the next {@link #follow}).
   *
   * @param check called under the lock first (throws if the reader failed)
   */
  void commit(long ordinal, Runnable check) throws InterruptedException {
    writes.lockInterruptibly();
    try {
      List<ShardLeasing.Pending> pending;
      lock.lockInterruptibly();
      try {
        check.run();
        Set<String> moved = new HashSet<>();
        if (ordinal >= 0) {
          moved.addAll(tracker.commit(ordinal));
        }
        moved.addAll(tracker.settleLeadingDeadLetters());
        for (TableStream table : tables) {
          for (ShardState s : table.reading.values()) {
            boolean end = s.done || finish.test(s);
            if ((moved.contains(s.id) || (end && !s.endSaved)) && tracker.tracks(s.id)) {
              unwritten.put(
                  ShardLeasing.key(table.name, s.id),
                  new ShardLeasing.Pending(
                      table.name, s.id, s.generation, tracker.checkpoint(s.id, s.done)));
            }
          }
        }
        pending = List.copyOf(unwritten.values());
        unwritten.clear();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      List<ShardLeasing.Pending> written = List.of();
      RuntimeException error = null;
      try {
        written = leasing.write(pending);
      } catch (RuntimeException e) {
        error = e; // the pipeline retries the commit; what was not written is written then
      }
      lock.lockInterruptibly();
      try {
        for (ShardLeasing.Pending w : written) {
          ShardState s = stateOf(w.table(), w.shard());
          if (s != null && s.generation == w.generation() && w.checkpoint().end()) {
            s.endSaved = true;
          }
        }
        if (error != null) {
          for (ShardLeasing.Pending p : pending) {
            unwritten.putIfAbsent(ShardLeasing.key(p.table(), p.shard()), p);
          }
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      if (error != null) {
        throw error;
      }
    } finally {
      writes.unlock();
    }
  }

  private @Nullable ShardState stateOf(String table, String shard) {
    for (TableStream t : tables) {
      if (t.name.equals(table)) {
        return t.reading.get(shard);
      }
    }
    return null;
  }

  /**
   * Stops the shards whose lease this instance no longer holds (in the generation they started
   * with), marks the shards the leases say are done, and writes ends not yet written.
   */
  void follow(Runnable check) throws InterruptedException {
    boolean endsUnsaved;
    lock.lockInterruptibly();
    try {
      endsUnsaved = followLocked();
    } finally {
      lock.unlock();
    }
    if (endsUnsaved) {
      commit(-1, check);
    }
  }

  private boolean followLocked() {
    Map<String, LeaseCoordinator.Held> held = leasing.held();
    boolean endsUnsaved = false;
    for (TableStream table : tables) {
      for (String id : leasing.doneShards(table)) {
        table.lineage.markDone(id);
      }
      for (ShardState s : List.copyOf(table.reading.values())) {
        LeaseCoordinator.Held h = held.get(ShardLeasing.key(table.name, s.id));
        boolean holds = h != null && h.generation() == s.generation;
        if (s.done) {
          // A finished lease is no longer held; an end not yet written needs the holding.
          s.endSaved |= !holds;
          endsUnsaved |= !s.endSaved;
        } else if (!holds) {
          stop.accept(s);
        }
      }
    }
    return endsUnsaved;
  }

  /**
   * Creates missing leases and deletes finished ones no child needs. Blocks; not under the lock.
   */
  void sync(long nowSecond) throws InterruptedException {
    List<ShardLeasing.LineageView> views = new ArrayList<>();
    lock.lockInterruptibly();
    try {
      for (TableStream table : tables) {
        views.add(ShardLeasing.LineageView.of(table));
      }
    } finally {
      lock.unlock();
    }
    for (ShardLeasing.LineageView view : views) {
      leasing.sync(view, nowSecond);
      leasing.cleanUp(view);
    }
  }

  /**
   * How {@code id} starts under the lease this instance holds (its checkpoint, and the clock it
   * saved or, at its beginning, its parent's final clock), or null if it does not hold it. Holds
   * the lock.
   */
  @Nullable ShardState plan(TableStream table, String id) {
    LeaseCoordinator.Held held = leasing.held(table.name, id);
    if (held == null) {
      return null;
    }
    ShardCheckpoint planned = ShardLeasing.checkpointOf(held.lease());
    VersionClock clock =
        planned.sequence() == null && planned.clockSecond() == 0
            ? leasing.parentClock(table.name, table.lineage.parentOf(id))
            : planned.clock();
    ShardState state =
        new ShardState(
            table,
            id,
            planned.notBeforeSecond(),
            planned.sequence(),
            ShardLeasing.trimTolerant(held.lease()),
            clock);
    state.generation = held.generation();
    return state;
  }

  private void wake() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
