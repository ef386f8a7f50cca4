/**
 * Driftless public API: the pipeline, its builder and status, and the values that flow through it
 * ({@link dev.driftless.core.ChangeEvent}, {@link dev.driftless.core.DocumentKey}, {@link
 * dev.driftless.core.Version}, {@link dev.driftless.core.Document}).
 *
 * <p>Everything here is {@code null}-hostile unless a type says {@code @Nullable}.
 */
@NullMarked
package dev.driftless.core;

import org.jspecify.annotations.NullMarked;
