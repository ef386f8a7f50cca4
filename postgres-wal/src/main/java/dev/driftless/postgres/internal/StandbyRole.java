package dev.driftless.postgres.internal;

import dev.driftless.core.spi.SourceContext;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this instance of a source in standby mode is the active reader or a standby, and the
 * moves between the two: a standby tries the {@link StandbyLock} four times per takeover timeout;
 * once it holds it, it terminates the walsender of a predecessor that may not know yet that it lost
 * the lock, and has the source start (or resume) reading. An active instance whose lock session
 * failed stops reading at once, reports a source outage (it must not claim to be healthy while it
 * cannot tell whether another instance reads), and becomes a standby again; the outage ends once it
 * reaches the database again, as a standby or as the active instance.
 *
 * <p>Confined to the source's poll thread, except {@link #status()} and {@link #close()}.
 */
final class StandbyRole implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StandbyRole.class);

  /** What the source does when this instance becomes active or stops being so. */
  interface Actions {
    /**
     * This instance holds the lock now: start (or resume) reading. A failure leaves it a standby
     * holding the lock; the next attempt promotes it again.
     */
    void promote() throws Exception;

    /** This instance lost the lock: stop reading at once, keep what may be resumed. */
    void demote(Exception cause);
  }

  private final String slotName;
  private final Duration takeoverTimeout;
  private final SourceConnections connections;
  private final StandbyLock lock;
  private final Actions actions;

  private Clock clock = Clock.systemUTC();
  private @Nullable SourceContext context;
  private volatile boolean active;
  private volatile Instant since = Instant.EPOCH;
  private volatile @Nullable String holder;
  private final AtomicLong takeovers = new AtomicLong();
  private boolean announced;
  private boolean outage;
  private long nextAttemptNanos;

  StandbyRole(
      SourceSettings settings,
      SourceConnections connections,
      Actions actions,
      Runnable onLeaseLost) {
    this.slotName = settings.slotName();
    this.takeoverTimeout = settings.takeoverTimeout();
    this.connections = connections;
    this.actions = actions;
    this.lock = new StandbyLock(connections, slotName, takeoverTimeout.dividedBy(2), onLeaseLost);
  }

  /** Reports outages and reads the time through the pipeline's {@code context}. */
  void start(SourceContext context) {
    this.context = context;
    this.clock = context.clock();
    this.since = clock.instant();
  }

  /** Whether this instance is the active reader. */
  boolean active() {
    return active;
  }

  /** Whether this active instance's lock is lost and it must stop reading now. */
  boolean leaseLost() {
    return active && lock.lost() != null;
  }

  /**
   * While active: whether the lock is still held. If its session failed, demotes this instance (see
   * the class comment) and answers false.
   */
  boolean checkLease() {
    if (!active) {
      return false;
    }
    Exception lost = lock.lost();
    if (lost == null) {
      return true;
    }
    active = false;
    since = clock.instant();
    announced = false;
    LOG.warn(
        "replication slot {}: this instance lost its standby lock ({}); it stopped reading and"
            + " waits as a standby, another instance may take over",
        slotName,
        String.valueOf(lost.getMessage()));
    actions.demote(lost);
    lock.release();
    unreachable(lost);
    nextAttemptNanos = System.nanoTime();
    return false;
  }

  /**
   * Tries to become active until {@code deadlineNanos} (of {@link System#nanoTime()}), at least
   * once if an attempt is due; true if active.
   */
  boolean awaitActive(long deadlineNanos) throws Exception {
    while (true) {
      if (active) {
        return true;
      }
      long now = System.nanoTime();
      if (now - nextAttemptNanos >= 0) {
        nextAttemptNanos = now + attemptNanos();
        if (attempt()) {
          return true;
        }
      }
      if (now - deadlineNanos >= 0) {
        return false;
      }
      long park = Math.min(nextAttemptNanos, deadlineNanos) - now;
      LockSupport.parkNanos(Math.max(0, Math.min(park, TimeUnit.MILLISECONDS.toNanos(50))));
    }
  }

  private boolean attempt() throws Exception {
    boolean got;
    String other = null;
    try {
      got = tryAcquire();
      if (!got) {
        other = lock.holder();
      }
    } catch (SQLException e) {
      unreachable(e);
      return false;
    }
    reachable();
    if (!got) {
      holder = other;
      if (!announced) {
        announced = true;
        LOG.info(
            "replication slot {}: waiting as a standby; {} reads it, this instance takes over"
                + " within about {} of its failure",
            slotName,
            other == null ? "another instance" : "the instance of " + other,
            takeoverTimeout);
      }
      return false;
    }
    try (Connection c = connections.admin()) {
      int fenced = ReplicationSetup.terminateSlotReader(c, slotName);
      if (fenced > 0) {
        LOG.info(
            "replication slot {}: terminated walsender {} of the instance that lost the lock",
            slotName,
            fenced);
      }
    } catch (SQLException e) {
      lock.release();
      unreachable(e);
      return false;
    }
    actions.promote();
    active = true;
    holder = null;
    since = clock.instant();
    takeovers.incrementAndGet();
    announced = false;
    LOG.info("replication slot {}: this instance holds the standby lock and reads", slotName);
    return true;
  }

  /**
   * One attempt on the lock, repeated once on a fresh session: the server may have ended an idle
   * one ({@code idle_session_timeout}) while this instance's poll thread was held up.
   */
  private boolean tryAcquire() throws SQLException {
    try {
      return lock.tryAcquire();
    } catch (SQLException first) {
      try {
        return lock.tryAcquire();
      } catch (SQLException second) {
        second.addSuppressed(first);
        throw second;
      }
    }
  }

  private long attemptNanos() {
    return takeoverTimeout.dividedBy(4).toNanos();
  }

  private void unreachable(Exception cause) {
    SourceContext ctx = context;
    if (ctx != null) {
      outage = true;
      ctx.outageStarted(cause);
    }
  }

  private void reachable() {
    SourceContext ctx = context;
    if (outage && ctx != null) {
      outage = false;
      ctx.outageEnded();
    }
  }

  /** The role for the status: {@code role}, since when, and who reads while this one waits. */
  Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", active ? "active" : "standby");
    m.put("roleSince", since.toString());
    m.put("takeoverTimeoutMillis", takeoverTimeout.toMillis());
    m.put("takeovers", takeovers.get());
    String h = holder;
    if (!active && h != null) {
      m.put("activeInstance", h);
    }
    return m;
  }

  @Override
  public void close() {
    active = false;
    lock.close();
  }
}
