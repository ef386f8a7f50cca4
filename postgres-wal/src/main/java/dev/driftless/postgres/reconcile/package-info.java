/**
 * The PostgreSQL side of reconciliation: {@link
 * dev.driftless.postgres.reconcile.PostgresFingerprintReader} computes, in SQL, the bucket
 * summaries and per-key row fingerprints that {@link dev.driftless.core.Fingerprints} defines, so
 * that {@link dev.driftless.core.Reconciler} can compare a table with its index without reading the
 * table over the wire.
 */
@NullMarked
package dev.driftless.postgres.reconcile;

import org.jspecify.annotations.NullMarked;
