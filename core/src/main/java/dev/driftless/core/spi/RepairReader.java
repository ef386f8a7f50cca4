package dev.driftless.core.spi;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import java.util.Collection;
import java.util.List;

/**
 * Re-reads the current state of given keys from the source: what dead-letter replay, the TOAST
 * fallback, backfill and reconciliation use to repair the index.
 *
 * <p>Each returned event carries a version chosen so that it cannot regress the index: it is at
 * least as new as every change the read saw, and older than every change it did not see (the
 * source's snapshot rule). A key that no longer exists comes back as a {@link ChangeEvent.Delete}.
 *
 * <p>Thread-safe; may block on I/O. A transient failure is thrown as a {@link
 * dev.driftless.core.RetriableException}.
 */
@FunctionalInterface
public interface RepairReader {

  /** One event per given key (in any order), reflecting the key's state now. */
  List<ChangeEvent> readCurrent(Collection<DocumentKey> keys) throws Exception;
}
