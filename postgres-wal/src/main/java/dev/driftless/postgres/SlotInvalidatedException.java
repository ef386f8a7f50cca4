package dev.driftless.postgres;

import dev.driftless.core.DriftlessException;
import org.jspecify.annotations.Nullable;

/**
 * The replication slot can no longer deliver every change (the server removed WAL it still needed,
 * {@code wal_status = 'lost'}, or it was dropped): changes were lost, and the index can only be
 * made consistent again by a full resync (backfill) with a new slot. Not retriable.
 */
public final class SlotInvalidatedException extends DriftlessException {
  private static final long serialVersionUID = 1L;

  private SlotInvalidatedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** The slot {@code slot} lost WAL it still needed ({@code wal_status = 'lost'}). */
  public static SlotInvalidatedException of(String slot) {
    return of(slot, "its WAL was removed (wal_status = 'lost'; see max_slot_wal_keep_size)", null);
  }

  /** The slot {@code slot} cannot deliver every change any more, for the reason {@code why}. */
  public static SlotInvalidatedException of(String slot, String why, @Nullable Throwable cause) {
    return new SlotInvalidatedException(
        "replication slot '"
            + slot
            + "' is invalidated: "
            + why
            + ". Changes were lost: a full resync is needed (drop the slot, let the source create"
            + " a new one, and backfill the index)",
        cause);
  }
}
