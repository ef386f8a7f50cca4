package dev.driftless.dynamodb.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Holds, renews, takes and steals the leases of one scope for one worker, KCL-style, generic over
 * lease keys:
 *
 * <ul>
 *   <li><b>Renewal</b> every {@code renewInterval}: a conditional write on owner and counter. A
 *       failed condition means another worker took the lease: it is <em>lost</em> at once. A worker
 *       that could not renew for a whole {@code leaseDuration} (its own clock) gives the lease up
 *       too, since others may consider it expired.
 *   <li><b>Expiry</b> as an observer sees it: a lease whose counter has not moved for {@code
 *       leaseDuration} of the observer's clock (no clocks are compared between workers), or that
 *       has no owner, may be taken.
 *   <li><b>Taking</b> every {@code takeInterval}: the workers are this one and the owners of
 *       unexpired leases; the target is ceil(active leases / workers). Below target, expired leases
 *       are taken; when there are none, one lease per round is stolen from the most loaded worker
 *       if it holds more than the target (or the target, while this one needs two or more to reach
 *       it), so the victim never drops below the target. Only <em>eligible</em> leases count and
 *       are taken: not finished, and every parent finished or absent.
 *   <li><b>Checkpoints</b> are conditional on owner and counter too, so a worker that lost a lease
 *       never writes it again; a lease checkpointed {@link Lease#END} is no longer held or renewed.
 * </ul>
 *
 * <p>Each take gives the held lease a new <em>generation</em>, so work started under an earlier
 * holding cannot checkpoint into a later one. The rounds run on the caller's thread ({@link
 * #renewRound()}, {@link #takeRound()}: tests drive them with their own clock) or on a daemon
 * thread ({@link #start(String)}). Thread-safe.
 */
public final class LeaseCoordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseCoordinator.class);

  /**
   * The timing of a coordinator.
   *
   * @param workerId this worker's name in the lease table
   * @param leaseDuration how long a lease's counter may stand still before others take it
   * @param renewInterval the pause between renewals
   * @param takeInterval the pause between listings that take and steal
   */
  public record Timing(
      String workerId, Duration leaseDuration, Duration renewInterval, Duration takeInterval) {}

  /** A lease this worker holds, with the generation of its holding. */
  public record Held(Lease lease, long generation) {}

  private static final class Holding {
    volatile Lease lease;
    final long generation;
    long renewedNanos;
    boolean dropped;

    Holding(Lease lease, long generation, long renewedNanos) {
      this.lease = lease;
      this.generation = generation;
      this.renewedNanos = renewedNanos;
    }
  }

  private record Seen(long counter, @Nullable String owner, long sinceNanos) {}

  private final LeaseTable table;
  private final Timing timing;
  private final LongSupplier nanoClock;
  private final Runnable onChange;
  private final Map<String, Holding> held = new ConcurrentHashMap<>();
  private final Object roundLock = new Object();

  @GuardedBy("roundLock")
  private final Map<String, Seen> seen = new HashMap<>();

  private volatile Map<String, Lease> listing = Map.of();
  private final AtomicLong generations = new AtomicLong();
  private final AtomicLong taken = new AtomicLong();
  private final AtomicLong stolen = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();
  private final AtomicLong renewalFailures = new AtomicLong();
  private volatile boolean closed;
  private @Nullable Thread thread;

  /**
   * @param nanoClock the observer's clock for expiry ({@code System::nanoTime}, or a test's)
   * @param onChange told (on the coordinator's thread, never blocking) when held leases or the
   *     listing changed
   */
  public LeaseCoordinator(
      LeaseTable table, Timing timing, LongSupplier nanoClock, Runnable onChange) {
    this.table = table;
    this.timing = timing;
    this.nanoClock = nanoClock;
    this.onChange = onChange;
  }

  public String workerId() {
    return timing.workerId();
  }

  public LeaseTable table() {
    return table;
  }

  /** Starts the daemon thread that runs the rounds. */
  public synchronized void start(String threadName) {
    if (thread != null) {
      return;
    }
    Thread t = new Thread(this::run, threadName);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  private void run() {
    long nextRenew = 0;
    long nextTake = 0;
    int failures = 0;
    while (!closed) {
      long now = System.nanoTime();
      try {
        if (now - nextRenew >= 0) {
          renewRound();
          nextRenew = now + timing.renewInterval().toNanos();
        }
        if (now - nextTake >= 0) {
          takeRound();
          nextTake = now + timing.takeInterval().toNanos();
        }
        failures = 0;
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        failures++;
        LOG.warn("Lease round of {} failed ({} in a row): {}", workerId(), failures, e.toString());
        nextTake =
            now + Math.min(timing.takeInterval().toNanos(), 100_000_000L << Math.min(failures, 4));
      }
      long wait = Math.min(nextRenew, nextTake) - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  // ---------------------------------------------------------------- the rounds

  /** Renews every held lease; drops the lost ones. */
  public void renewRound() {
    boolean changed = false;
    for (Map.Entry<String, Holding> e : held.entrySet()) {
      Holding h = e.getValue();
      synchronized (h) {
        if (h.dropped) {
          continue;
        }
        long now = nanoClock.getAsLong();
        try {
          Lease renewed = table.renew(h.lease);
          if (renewed == null) {
            changed |= drop(e.getKey(), h, "another worker took it");
          } else {
            h.lease = renewed;
            h.renewedNanos = now;
          }
        } catch (RuntimeException ex) {
          if (closed) {
            return;
          }
          renewalFailures.incrementAndGet();
          LOG.warn("Renewing lease {} failed: {}", e.getKey(), ex.toString());
        }
        if (!h.dropped && now - h.renewedNanos >= timing.leaseDuration().toNanos()) {
          changed |= drop(e.getKey(), h, "not renewed for the lease duration");
        }
      }
    }
    if (changed) {
      onChange.run();
    }
  }

  /** Lists the scope, then takes expired leases up to the target, or steals one. */
  public void takeRound() {
    synchronized (roundLock) {
      takeRoundLocked();
    }
  }

  @GuardedBy("roundLock")
  private void takeRoundLocked() {
    List<Lease> all = table.list();
    long now = nanoClock.getAsLong();
    Map<String, Lease> byKey = new TreeMap<>();
    for (Lease l : all) {
      byKey.put(l.key(), l);
    }
    listing = Map.copyOf(byKey);
    List<Lease> available = new ArrayList<>();
    Map<String, List<Lease>> owned = new HashMap<>();
    int active = 0;
    {
      seen.keySet().retainAll(byKey.keySet());
      for (Lease l : byKey.values()) {
        Seen s = seen.get(l.key());
        if (s == null || s.counter() != l.counter() || !Objects.equals(s.owner(), l.owner())) {
          seen.put(l.key(), new Seen(l.counter(), l.owner(), now));
        }
      }
      for (Lease l : byKey.values()) {
        Holding h = held.get(l.key());
        if (h != null && !workerId().equals(l.owner())) {
          drop(l.key(), h, "it is owned by " + l.owner() + " now");
          h = null;
        }
        if (!eligible(l, byKey)) {
          continue;
        }
        active++;
        if (h != null) {
          continue;
        }
        Seen s = Objects.requireNonNull(seen.get(l.key()));
        boolean expired =
            l.owner() == null
                || workerId().equals(l.owner())
                || now - s.sinceNanos() >= timing.leaseDuration().toNanos();
        if (expired) {
          available.add(l);
        } else {
          owned.computeIfAbsent(Objects.requireNonNull(l.owner()), o -> new ArrayList<>()).add(l);
        }
      }
    }
    for (String key : List.copyOf(held.keySet())) {
      if (!byKey.containsKey(key)) {
        Holding h = held.get(key);
        if (h != null) {
          drop(key, h, "it was deleted");
        }
      }
    }
    int workers = owned.size() + 1;
    int target = (active + workers - 1) / workers;
    int mine = heldActive();
    boolean changed = false;
    for (Lease l : available) {
      if (mine >= target) {
        break;
      }
      if (take(l, false)) {
        mine++;
        changed = true;
      }
    }
    if (!changed && mine < target && !owned.isEmpty()) {
      List<Lease> mostLoaded =
          owned.values().stream().max(Comparator.comparingInt(List::size)).orElseThrow();
      // The victim stays at or above the target and the thief at or below it: no ping-pong.
      int most = mostLoaded.size();
      if (most > mine + 1 && (most > target || (most == target && target - mine > 1))) {
        changed = take(mostLoaded.get(0), true);
      }
    }
    onChange.run();
  }

  private static boolean eligible(Lease lease, Map<String, Lease> byKey) {
    if (lease.finished()) {
      return false;
    }
    for (String parent : lease.parents()) {
      Lease p = byKey.get(parent);
      if (p != null && !p.finished()) {
        return false;
      }
    }
    return true;
  }

  private boolean take(Lease lease, boolean steal) {
    Lease mine;
    try {
      mine = table.take(lease, workerId());
    } catch (ConditionalCheckFailedException e) {
      return false;
    }
    if (mine == null) {
      return false;
    }
    held.put(lease.key(), new Holding(mine, generations.incrementAndGet(), nanoClock.getAsLong()));
    taken.incrementAndGet();
    if (steal) {
      stolen.incrementAndGet();
      LOG.info("{} stole lease {} from {}", workerId(), lease.key(), lease.owner());
    } else {
      LOG.info("{} took lease {} (was {})", workerId(), lease.key(), lease.owner());
    }
    return true;
  }

  private int heldActive() {
    int n = 0;
    for (Holding h : held.values()) {
      if (!h.lease.finished()) {
        n++;
      }
    }
    return n;
  }

  /** Drops a holding as lost. Returns true. */
  private boolean drop(String key, Holding h, String why) {
    synchronized (h) {
      if (h.dropped) {
        return false;
      }
      h.dropped = true;
    }
    held.remove(key, h);
    lost.incrementAndGet();
    LOG.warn("{} lost lease {}: {}", workerId(), key, why);
    return true;
  }

  // ---------------------------------------------------------------- the work's side

  /** The leases held now. */
  public Map<String, Held> held() {
    Map<String, Held> out = new LinkedHashMap<>();
    held.forEach((k, h) -> out.put(k, new Held(h.lease, h.generation)));
    return out;
  }

  /** The leases of the scope as last listed. */
  public Map<String, Lease> listing() {
    return listing;
  }

  /**
   * Writes progress into a held lease, conditionally on owner and counter; counts as a renewal.
   * Returns false, and drops the lease, if another worker took it; false also if the lease is not
   * held in {@code generation}.
   *
   * @param state the new state, or {@code null} to keep the stored one
   */
  public boolean checkpoint(
      String key, long generation, String checkpoint, @Nullable String state) {
    Holding h = held.get(key);
    if (h == null || h.generation != generation) {
      return false;
    }
    synchronized (h) {
      if (h.dropped) {
        return false;
      }
      long now = nanoClock.getAsLong();
      Lease written = table.checkpoint(h.lease, checkpoint, state);
      if (written == null) {
        drop(key, h, "another worker took it (at a checkpoint)");
        onChange.run();
        return false;
      }
      h.lease = written;
      h.renewedNanos = now;
      if (written.finished()) {
        h.dropped = true; // finished work is not renewed; not a loss
        held.remove(key, h);
      }
      return true;
    }
  }

  /** Creates a lease unless its key exists. */
  public boolean create(Lease lease) {
    return table.create(lease);
  }

  /** Deletes a lease unless it moved since {@code seen}. */
  public boolean delete(Lease seen) {
    return table.delete(seen);
  }

  /** Counters: {@code leasesTaken}, {@code leasesStolen}, {@code leasesLost}, ... */
  public Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("workerId", workerId());
    m.put("leaseTable", table.table());
    m.put("leasesHeld", held.size());
    m.put("leasesTaken", taken.get());
    m.put("leasesStolen", stolen.get());
    m.put("leasesLost", lost.get());
    m.put("leaseRenewalFailures", renewalFailures.get());
    return m;
  }

  /**
   * Stops the rounds and, if {@code release}, gives every held lease up so that others take them at
   * once (failures are only logged: the leases then expire).
   */
  public void close(boolean release) throws InterruptedException {
    closed = true;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
    for (Map.Entry<String, Holding> e : held.entrySet()) {
      Holding h = e.getValue();
      synchronized (h) {
        if (h.dropped) {
          continue;
        }
        h.dropped = true;
        if (release) {
          try {
            table.release(h.lease);
          } catch (RuntimeException ex) {
            LOG.warn("Releasing lease {} failed: {}", e.getKey(), ex.toString());
          }
        }
      }
    }
    held.clear();
  }

  @Override
  public void close() throws InterruptedException {
    close(true);
  }
}
