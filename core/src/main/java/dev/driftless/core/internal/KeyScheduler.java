package dev.driftless.core.internal;

import dev.driftless.core.DocumentKey;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Per-key scheduling: the pending events of each key, which keys are ready (pending events and no
 * write in flight), coalescing a key's pending events to its newest, and forming batches.
 *
 * <p>Owns the key queues, the ready set (in the order keys became ready), the count of pending
 * events and the time the oldest ready key has waited since (for the linger). Two writes of one key
 * are never in flight together: a key leaves the ready set when its newest event joins a batch and
 * comes back only when the runner reports that write {@linkplain #finished finished}.
 *
 * <p>Not thread-safe: the runner calls it under its lock, from the poll thread ({@link #add}), the
 * dispatch thread ({@link #formBatch}) and the writer threads ({@link #finished}). Time comes in as
 * arguments, so tests drive it without threads or clocks.
 */
final class KeyScheduler {

  /** Settles an event the scheduler decided not to write (coalesced, or older than written). */
  @FunctionalInterface
  interface Settler {
    void settle(Entry entry, Outcome outcome);
  }

  /** One key's write in a batch: its newest pending event and the older ones it supersedes. */
  record Item(KeyQueue queue, Entry newest, List<Entry> superseded) {}

  /** The pending changes of one key, and whether a write of it is in flight. */
  static final class KeyQueue {
    final DocumentKey key;
    final ArrayDeque<Entry> pending = new ArrayDeque<>(2);
    boolean inFlight;

    /** The newest version this runner applied for the key while the queue existed. */
    @Nullable Long lastWrittenVersion;

    KeyQueue(DocumentKey key) {
      this.key = key;
    }
  }

  private final Map<DocumentKey, KeyQueue> keys = new HashMap<>();
  private final LinkedHashSet<KeyQueue> ready = new LinkedHashSet<>();

  /** Events waiting in key queues (ready or behind an in-flight write of their key). */
  private long pendingEvents;

  private long oldestReadySinceNanos;

  /** Queues an event behind its key's pending events. */
  void add(Entry entry, long nowNanos) {
    KeyQueue queue = keys.computeIfAbsent(entry.event.key(), KeyQueue::new);
    queue.pending.add(entry);
    pendingEvents++;
    if (!queue.inFlight) {
      markReady(queue, nowNanos);
    }
  }

  /** Whether some key has pending events and no write in flight. */
  boolean hasReady() {
    return !ready.isEmpty();
  }

  /** Events waiting in key queues. */
  long pendingEvents() {
    return pendingEvents;
  }

  /** Keys the scheduler holds state for (pending or in flight); for tests. */
  int keyCount() {
    return keys.size();
  }

  /**
   * How long the ready keys may still wait for a fuller batch; zero or less means go: a full batch
   * is pending, or the oldest ready key has waited {@code lingerNanos}.
   */
  long lingerLeftNanos(long lingerNanos, int batchSize, long nowNanos) {
    if (pendingEvents >= batchSize) {
      return 0;
    }
    return lingerNanos - (nowNanos - oldestReadySinceNanos);
  }

  /**
   * Forms a batch from the ready keys, oldest first: at most {@code maxEvents} keys, and at most
   * {@code maxBytes} (but at least one key). Each key's pending events coalesce to the newest (by
   * version; the latest received among equal versions); a key whose newest is older than the
   * version this runner already applied for it is settled stale instead of written. The keys of the
   * batch are in flight until {@link #finished}.
   */
  List<Item> formBatch(int maxEvents, long maxBytes, long nowNanos, Settler settler) {
    List<Item> batch = new ArrayList<>(Math.min(maxEvents, ready.size()));
    long bytes = 0;
    var it = ready.iterator();
    while (it.hasNext() && batch.size() < maxEvents) {
      KeyQueue queue = it.next();
      Entry newest = null;
      for (Entry e : queue.pending) {
        if (newest == null || e.event.version().compareTo(newest.event.version()) >= 0) {
          newest = e;
        }
      }
      if (newest == null) {
        it.remove();
        continue;
      }
      if (!batch.isEmpty() && bytes + newest.bytes > maxBytes) {
        break;
      }
      it.remove();
      List<Entry> superseded = new ArrayList<>(queue.pending.size() - 1);
      for (Entry e : queue.pending) {
        if (e != newest) {
          superseded.add(e);
        }
      }
      pendingEvents -= queue.pending.size();
      queue.pending.clear();
      Long written = queue.lastWrittenVersion;
      if (written != null && newest.event.version().value() < written) {
        // The index already holds a newer version of this key, written by this runner: skip the
        // write rather than send it out of version order.
        for (Entry e : superseded) {
          settler.settle(e, Outcome.COALESCED);
        }
        settler.settle(newest, Outcome.STALE);
        release(queue, nowNanos);
        continue;
      }
      queue.inFlight = true;
      bytes += newest.bytes;
      batch.add(new Item(queue, newest, superseded));
    }
    oldestReadySinceNanos = nowNanos;
    return batch;
  }

  /**
   * The write of {@code item} ended (settled by the runner): remembers the version if it was
   * applied, and makes the key ready again if events arrived meanwhile.
   */
  void finished(Item item, boolean applied, long nowNanos) {
    if (applied) {
      long v = item.newest().event.version().value();
      Long prev = item.queue().lastWrittenVersion;
      if (prev == null || v > prev) {
        item.queue().lastWrittenVersion = v;
      }
    }
    release(item.queue(), nowNanos);
  }

  private void release(KeyQueue queue, long nowNanos) {
    queue.inFlight = false;
    if (!queue.pending.isEmpty()) {
      markReady(queue, nowNanos);
    } else {
      keys.remove(queue.key);
    }
  }

  private void markReady(KeyQueue queue, long nowNanos) {
    if (ready.add(queue) && ready.size() == 1) {
      oldestReadySinceNanos = nowNanos;
    }
  }
}
