package dev.driftless.postgres.internal;

import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource.TruncateMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A {@link dev.driftless.postgres.PostgresSource}'s validated configuration. {@code
 * takeoverTimeout} is zero unless standby mode is on; {@code failoverSlot}: create the slot with
 * {@code failover = true} where the server supports it (PostgreSQL 17+); {@code responseTimeout}:
 * how long a login or a short query may wait for the server.
 */
public record SourceSettings(
    PostgresDatabase database,
    String slotName,
    String publication,
    List<String> tables,
    boolean createSlot,
    boolean createPublication,
    boolean temporarySlot,
    boolean dropSlotOnClose,
    boolean allowReplicaIdentityFull,
    boolean streaming,
    int protocolVersion,
    Duration statusInterval,
    Duration heartbeatInterval,
    Path spillDirectory,
    TruncateMode truncateMode,
    @Nullable BackfillSettings backfill,
    boolean resyncOnSlotLoss,
    Duration takeoverTimeout,
    boolean failoverSlot,
    Duration responseTimeout) {

  /** Whether several instances share the slot, one active and the others standbys. */
  public boolean standby() {
    return !takeoverTimeout.isZero();
  }
}
