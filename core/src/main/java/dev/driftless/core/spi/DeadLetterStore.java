package dev.driftless.core.spi;

import dev.driftless.core.DeadLetter;
import java.util.List;
import java.util.Optional;

/**
 * Keeps poison events so that the stream can move on without losing them.
 *
 * <h2>Threading</h2>
 *
 * <p>Thread-safe: the pipeline calls {@link #put} from its worker threads and its poll thread, and
 * users may read, count and remove at any time. Methods may block on I/O.
 *
 * <h2>Contract</h2>
 *
 * <ol>
 *   <li>When {@link #put} returns, the letter is durable to the degree the store promises (a file
 *       store: fsynced). The pipeline commits past the event only after that.
 *   <li>If {@link #put} throws, the letter is not stored; the pipeline then stops without
 *       committing past the event.
 *   <li>{@link #put} of a letter whose id is already stored replaces it.
 *   <li>{@link #list} returns letters in the order they were first put.
 *   <li>{@link #remove} of an absent id returns {@code false} and changes nothing.
 * </ol>
 */
public interface DeadLetterStore extends AutoCloseable {

  /** Stores or replaces a letter, durably. */
  void put(DeadLetter letter) throws Exception;

  /** Up to {@code max} letters, oldest first. */
  List<DeadLetter> list(int max) throws Exception;

  /** The letter with that id, if stored. */
  Optional<DeadLetter> get(String id) throws Exception;

  /** Removes the letter with that id; whether it was there. */
  boolean remove(String id) throws Exception;

  /** How many letters are stored. */
  long count() throws Exception;

  @Override
  default void close() throws Exception {}
}
