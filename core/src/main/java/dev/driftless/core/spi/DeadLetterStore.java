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
 *   <li>{@link #put} of a letter whose id is already stored replaces it as it is.
 *   <li><b>One live letter per key.</b> {@link #put} of a letter whose key holds a letter under
 *       another id:
 *       <ul>
 *         <li>if its version is newer than or equal to the stored letter's, it replaces that
 *             letter: the key then holds one letter with the new letter's id, version, position,
 *             operation, payload and error, the earlier {@code firstFailedAt}, the later {@code
 *             lastFailedAt}, and the sum of both {@code attempts}; the old id is gone;
 *         <li>if its version is older, nothing is stored and nothing changes, and {@code put} still
 *             returns normally.
 *       </ul>
 *   <li>{@link #list} returns letters in the order their keys were first put.
 *   <li>{@link #remove} of an absent id returns {@code false} and changes nothing.
 * </ol>
 *
 * <h2>Why one letter per key loses nothing</h2>
 *
 * <p>A letter is not a copy of the change to re-send: replaying a letter re-reads its key's
 * <em>current</em> state from the source and writes that (never the stored payload). What a replay
 * needs from a letter is therefore only which key to re-read; every letter of a key leads to the
 * same replay. Rule 4 keeps the newest letter, whose error is the one a replay must now overcome,
 * and counts every attempt.
 *
 * <p>The pipeline commits past an event once {@code put} returns, also when rule 4 dropped it as
 * older. That keeps no-loss (I2): the event is settled as dead-lettered, and its key still has a
 * live letter (the newer one), so a replay still brings the key to its current state, which covers
 * the older version. It keeps no-regression (I3): nothing is ever written from a letter's payload,
 * and a replay writes the current state with its own version through the index's version check, so
 * neither the dropped letter nor the kept one can put an older state back.
 *
 * <p>Because an id disappears when its letter is superseded, {@code remove(id)} only ever removes
 * the letter that was read: a replay that succeeded for an old letter while a newer failure of the
 * key arrived finds its id gone ({@code false}), and the newer letter stays for the next replay.
 */
public interface DeadLetterStore extends AutoCloseable {

  /** Stores a letter, replacing its key's older letter (rules 3 and 4), durably. */
  void put(DeadLetter letter) throws Exception;

  /** Up to {@code max} letters, at most one per key, oldest key first. */
  List<DeadLetter> list(int max) throws Exception;

  /** The letter with that id, if stored. */
  Optional<DeadLetter> get(String id) throws Exception;

  /** Removes the letter with that id; whether it was there. */
  boolean remove(String id) throws Exception;

  /** How many letters are stored: the number of keys with a live letter. */
  long count() throws Exception;

  @Override
  default void close() throws Exception {}
}
