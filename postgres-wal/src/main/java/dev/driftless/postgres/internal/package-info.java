/**
 * The inside of the PostgreSQL source; not API (nothing here is stable, and the module exports it
 * to nobody). The parts and the state each owns are described in {@code docs/architecture.md}:
 * {@link dev.driftless.postgres.internal.WalSource} (lifecycle and the poll loop), {@link
 * dev.driftless.postgres.internal.ReplicationConnection}, {@link
 * dev.driftless.postgres.internal.SourceStartup}, {@link
 * dev.driftless.postgres.internal.TransactionAssembler}, {@link
 * dev.driftless.postgres.internal.FlushTracker}, {@link
 * dev.driftless.postgres.internal.RecentCommits}, {@link
 * dev.driftless.postgres.internal.SnapshotReader} and {@link
 * dev.driftless.postgres.internal.Backfill}.
 */
@NullMarked
package dev.driftless.postgres.internal;

import org.jspecify.annotations.NullMarked;
