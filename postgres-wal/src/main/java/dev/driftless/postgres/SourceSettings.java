package dev.driftless.postgres;

import dev.driftless.postgres.PostgresSource.TruncateMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A {@link PostgresSource}'s validated configuration. */
record SourceSettings(
    String jdbcUrl,
    String user,
    @Nullable String password,
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
    Duration reconnectBackoffMin,
    Duration reconnectBackoffMax,
    Path spillDirectory,
    TruncateMode truncateMode,
    @Nullable ColumnValueDecoder decoder,
    @Nullable BackfillSettings backfill,
    boolean resyncOnSlotLoss,
    Runnable onResynced) {}
