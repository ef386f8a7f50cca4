/**
 * The PostgreSQL change source: logical replication with the built-in {@code pgoutput} plugin over
 * pgJDBC's replication protocol, with slot and publication management and re-reads of current rows.
 * Start at {@link dev.driftless.postgres.PostgresDatabase#builder()} and {@link
 * dev.driftless.postgres.PostgresSource#builder()}. The inside is in {@code
 * dev.driftless.postgres.internal}, which is not API.
 */
@NullMarked
package dev.driftless.postgres;

import org.jspecify.annotations.NullMarked;
