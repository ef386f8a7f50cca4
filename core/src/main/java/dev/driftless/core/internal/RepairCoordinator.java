package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.spi.RepairReader;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Repair and dead-letter replay: re-reads keys' current state, hands it to the runner as events
 * that do not hold back the commit position, each with a {@link ReplayTicket}, and waits for the
 * tickets.
 *
 * <p>Owns the open tickets. Every ticket completes (its event settled) or fails (its write was
 * rejected, or the dead-letter store failed), and at the latest it fails when the runner calls
 * {@link #stop}: the runner does so whenever it halts, fails or ends its drain. A ticket opened
 * after {@code stop} fails at once. So a caller (such as the {@code Reconciler}'s scheduler thread)
 * never waits for good.
 *
 * <p>Called by the application's threads through {@link Pipeline#repair} and {@link
 * Pipeline#replayDeadLetters}, and by the runner's stop paths; thread-safe.
 */
final class RepairCoordinator {

  /** Where re-read events go: the runner. */
  interface Intake {
    /**
     * Throws {@link IllegalStateException} if the pipeline does not take repairs now.
     *
     * @throws IllegalStateException if the pipeline is not running
     */
    void requireRunning();

    /** Schedules a re-read event; its outcome goes to {@code ticket}. */
    void accept(ChangeEvent event, ReplayTicket ticket) throws InterruptedException;
  }

  private final String pipeline;
  private final Supplier<Optional<RepairReader>> reader;
  private final String sourceName;
  private final DeadLetterStore deadLetters;
  private final Clock clock;
  private final Intake intake;

  @GuardedBy("this")
  private final Set<ReplayTicket> open = Collections.newSetFromMap(new IdentityHashMap<>());

  /** Why the pipeline stopped, once it did; then no ticket is opened any more. */
  @GuardedBy("this")
  private @Nullable String stopped;

  RepairCoordinator(PipelineSettings settings, Intake intake) {
    this(
        settings.name(),
        settings.source()::repairReader,
        settings.source().getClass().getSimpleName(),
        settings.deadLetterStore(),
        settings.clock(),
        intake);
  }

  RepairCoordinator(
      String pipeline,
      Supplier<Optional<RepairReader>> reader,
      String sourceName,
      DeadLetterStore deadLetters,
      Clock clock,
      Intake intake) {
    this.pipeline = pipeline;
    this.reader = reader;
    this.sourceName = sourceName;
    this.deadLetters = deadLetters;
    this.clock = clock;
    this.intake = intake;
  }

  /** Fails every open ticket and every later one: the pipeline stopped. Idempotent. */
  void stop(String reason) {
    List<ReplayTicket> toFail;
    synchronized (this) {
      if (stopped == null) {
        stopped = reason;
      }
      toFail = new ArrayList<>(open);
      open.clear();
    }
    for (ReplayTicket ticket : toFail) {
      ticket.abandon(reason);
    }
  }

  /** The tickets not yet completed; for tests. */
  synchronized int openTickets() {
    open.removeIf(ReplayTicket::completed);
    return open.size();
  }

  /** See {@link Pipeline#repair(Collection)}. */
  Pipeline.RepairResult repair(Collection<DocumentKey> keys) throws InterruptedException {
    Map<DocumentKey, ReplayTicket> tickets = tickets(keys, true);
    try {
      int applied = 0;
      int current = 0;
      List<DocumentKey> failed = new ArrayList<>();
      for (DocumentKey key : keys) {
        ReplayTicket ticket = tickets.get(key);
        if (ticket == null) {
          failed.add(key);
          continue;
        }
        ticket.await();
        if (!ticket.success()) {
          failed.add(key);
        } else if (ticket.stale()) {
          current++;
        } else {
          applied++;
        }
      }
      return new Pipeline.RepairResult(applied, current, failed);
    } finally {
      forget(tickets.values());
    }
  }

  /** See {@link Pipeline#replayDeadLetters(int)}. */
  Pipeline.ReplayResult replayDeadLetters(int max) throws InterruptedException {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative, was " + max);
    }
    List<DeadLetter> letters;
    try {
      letters = deadLetters.list(max);
    } catch (Exception e) {
      throw new DriftlessException("reading the dead-letter store failed: " + e, e);
    }
    Map<DocumentKey, List<DeadLetter>> byKey = new LinkedHashMap<>();
    List<DeadLetter> truncates = new ArrayList<>();
    for (DeadLetter letter : letters) {
      if ("truncate".equals(letter.operation())) {
        // Its key (collection, "*") stands for the whole collection and may also be a real row's
        // id: a key read would "replay" that row and drop the letter. A truncate is replayed by a
        // reconciliation of the collection, which removes what it should have removed.
        truncates.add(letter);
      } else {
        byKey.computeIfAbsent(letter.key(), k -> new ArrayList<>()).add(letter);
      }
    }
    Map<DocumentKey, ReplayTicket> tickets = tickets(byKey.keySet(), false);
    try {
      int replayed = 0;
      int failedAgain = 0;
      int superseded = 0;
      int leftAlone = 0;
      String stopReason = "";
      for (DeadLetter letter : truncates) {
        try {
          if (settleReplayedLetter(
              letter,
              false,
              "replay:truncate",
              "a truncate is not replayed by a key read: reconcile collection '"
                  + letter.key().collection()
                  + "' (Reconciler.run) to remove what it should have removed, then remove this"
                  + " letter")) {
            failedAgain++;
          } else {
            superseded++;
          }
        } catch (Exception ex) {
          throw new DriftlessException("updating the dead-letter store failed: " + ex, ex);
        }
      }
      for (Map.Entry<DocumentKey, List<DeadLetter>> e : byKey.entrySet()) {
        ReplayTicket ticket = tickets.get(e.getKey());
        boolean success = false;
        String type = "replay:missing";
        String message = "the source returned no current state for this key";
        if (ticket != null) {
          ticket.await();
          if (ticket.stopped()) {
            // Nothing is known about the key: its letters stay as they were, for the next replay.
            leftAlone += e.getValue().size();
            stopReason = ticket.errorMessage();
            continue;
          }
          success = ticket.success();
          type = ticket.errorType();
          message = ticket.errorMessage();
        }
        for (DeadLetter letter : e.getValue()) {
          try {
            if (settleReplayedLetter(letter, success, type, message)) {
              if (success) {
                replayed++;
              } else {
                failedAgain++;
              }
            } else {
              superseded++;
            }
          } catch (Exception ex) {
            throw new DriftlessException("updating the dead-letter store failed: " + ex, ex);
          }
        }
      }
      if (leftAlone > 0) {
        throw new IllegalStateException(
            "pipeline "
                + pipeline
                + " stopped during the replay ("
                + stopReason
                + "); "
                + leftAlone
                + " letter(s) were left as they were; replayed "
                + replayed
                + ", failed again "
                + failedAgain
                + ", superseded "
                + superseded);
      }
      return new Pipeline.ReplayResult(replayed, failedAgain, superseded);
    } finally {
      forget(tickets.values());
    }
  }

  /**
   * Re-reads the keys' current state and hands it to the runner; one ticket per key the source
   * returned.
   */
  private Map<DocumentKey, ReplayTicket> tickets(
      Collection<DocumentKey> keys, boolean deadLetterOnFailure) throws InterruptedException {
    RepairReader repairReader =
        reader
            .get()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "the source "
                            + sourceName
                            + " cannot re-read keys (it has no RepairReader), so keys cannot be"
                            + " repaired and dead letters cannot be replayed: both re-read the"
                            + " current state and never re-send a stored payload"));
    intake.requireRunning();
    if (keys.isEmpty()) {
      return Map.of();
    }
    List<ChangeEvent> current;
    try {
      current = repairReader.readCurrent(keys);
    } catch (Exception e) {
      throw new DriftlessException("re-reading " + keys.size() + " key(s) failed: " + e, e);
    }
    Map<DocumentKey, ReplayTicket> tickets = new HashMap<>();
    for (ChangeEvent event : current) {
      ReplayTicket ticket = open(deadLetterOnFailure);
      tickets.put(event.key(), ticket);
      intake.accept(event, ticket);
    }
    return tickets;
  }

  private ReplayTicket open(boolean deadLetterOnFailure) {
    ReplayTicket ticket = new ReplayTicket(deadLetterOnFailure);
    String reason;
    synchronized (this) {
      reason = stopped;
      if (reason == null) {
        open.add(ticket);
        return ticket;
      }
    }
    ticket.abandon(reason);
    return ticket;
  }

  private synchronized void forget(Collection<ReplayTicket> tickets) {
    for (ReplayTicket ticket : tickets) {
      open.remove(ticket);
    }
  }

  /**
   * Removes a replayed letter, or records its failed attempt; false if the letter was no longer
   * stored as read: a newer letter of its key superseded it while the replay ran (it stays for the
   * next replay), or a store keeping several letters per key listed an older one beside it.
   */
  private boolean settleReplayedLetter(
      DeadLetter letter, boolean success, String type, String message) throws Exception {
    if (success) {
      return deadLetters.remove(letter.id());
    }
    Optional<DeadLetter> stored = deadLetters.get(letter.id());
    if (stored.isEmpty()) {
      return false;
    }
    deadLetters.put(stored.get().failedAgain(type, message, clock.instant()));
    return true;
  }
}
