/**
 * Service provider interfaces: what a source, a sink, a dead-letter store, a checkpoint store, a
 * document mapper and a reconciliation reader implement. Each type states which thread calls it,
 * what may block and what holds after a failure. The contract suites of {@code driftless-tck} check
 * those guarantees for any implementation.
 *
 * <p>This package never depends on {@code dev.driftless.core.internal}.
 */
@NullMarked
package dev.driftless.core.spi;

import org.jspecify.annotations.NullMarked;
