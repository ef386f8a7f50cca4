/**
 * The PostgreSQL change source: logical replication with the built-in {@code pgoutput} plugin over
 * pgJDBC's replication protocol, with slot and publication management and re-reads of current rows.
 * Start at {@link dev.driftless.postgres.PostgresSource#builder()}.
 */
@NullMarked
package dev.driftless.postgres;

import org.jspecify.annotations.NullMarked;
