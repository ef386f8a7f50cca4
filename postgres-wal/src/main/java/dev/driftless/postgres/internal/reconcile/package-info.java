/** The SQL of the PostgreSQL side of reconciliation; not API. */
@NullMarked
package dev.driftless.postgres.internal.reconcile;

import org.jspecify.annotations.NullMarked;
