package dev.driftless.core.internal;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.spi.DeadLetterStore;
import java.time.Clock;
import java.util.UUID;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores poison events in the dead-letter store, or fails a replay's ticket instead. A store that
 * fails stops the pipeline (through {@code onStoreFailure}): the event is then never settled, so
 * the commit position never passes it. Stateless apart from its settings; thread-safe if the store
 * is. Called by the writer threads (sink rejections) and the poll thread (mapper failures,
 * unreadable changes).
 */
final class DeadLetterer {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterer.class);

  private final String pipeline;
  private final DeadLetterStore store;
  private final Clock clock;
  private final Consumer<DriftlessException> onStoreFailure;
  private final Listeners listeners;

  DeadLetterer(
      String pipeline,
      DeadLetterStore store,
      Clock clock,
      Consumer<DriftlessException> onStoreFailure,
      Listeners listeners) {
    this.pipeline = pipeline;
    this.listeners = listeners;
    this.store = store;
    this.clock = clock;
    this.onStoreFailure = onStoreFailure;
  }

  /**
   * Stores a dead letter for {@code entry}; returns the outcome to settle with, or {@code null} if
   * the store failed (the pipeline then stops, and the entry is never committed past). A replayed
   * key's failure only fails its ticket: the replay updates the letter it replays.
   *
   * @param keepPayload whether the letter keeps the event's document (a sink rejection: the mapped
   *     document), or not (a mapper failure: the raw row may hold columns the mapper drops)
   */
  @Nullable Outcome deadLetter(Entry entry, String errorType, String message, boolean keepPayload) {
    ReplayTicket ticket = entry.ticket;
    if (ticket != null && !ticket.deadLetterOnFailure) {
      ticket.fail(errorType, message);
      return Outcome.REPLAY_FAILED;
    }
    DeadLetter letter =
        DeadLetter.of(
            UUID.randomUUID().toString(),
            entry.event,
            errorType,
            message,
            Math.max(1, entry.attempts),
            clock.instant());
    if (!keepPayload) {
      letter = letter.withoutPayload();
    }
    try {
      store.put(letter);
    } catch (Exception e) {
      if (ticket != null) {
        ticket.fail("deadletter:" + e.getClass().getName(), String.valueOf(e.getMessage()));
      }
      onStoreFailure.accept(
          new DriftlessException(
              "dead-letter store failed to store the event of key "
                  + entry.event.key()
                  + " at position "
                  + entry.event.position().asString()
                  + "; stopping without committing past it: "
                  + e,
              e));
      return null;
    }
    if (ticket != null) {
      ticket.fail(errorType, message);
    }
    LOG.warn(
        "Pipeline {}: dead-lettered {} version {}: {}: {}",
        pipeline,
        entry.event.key(),
        entry.event.version(),
        errorType,
        message);
    DeadLetter stored = letter;
    listeners.tell("deadLettered", l -> l.deadLettered(pipeline, stored));
    return Outcome.DEAD_LETTERED;
  }

  /** A change the source could not read: stored at once (see SourceContext#deadLetter). */
  void storeUnreadable(DeadLetter letter) throws Exception {
    store.put(letter);
    LOG.warn(
        "Pipeline {}: dead-lettered an unreadable change of {} version {}: {}: {}",
        pipeline,
        letter.key(),
        letter.version(),
        letter.errorType(),
        letter.errorMessage());
    listeners.tell("deadLettered", l -> l.deadLettered(pipeline, letter));
  }
}
