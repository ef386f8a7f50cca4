package dev.driftless.postgres.internal;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A relation as pgoutput announced it, with what the source derived from it.
 *
 * @param relation the RELATION message
 * @param historyIndex its index in the source's relation history (spill files refer to it)
 * @param shape the table's keys and names, or null when the table is not replicated
 * @param keyIndexes the indexes of the key columns among the relation's columns
 * @param collection the collection its documents go to
 * @param unkeyable why its changes cannot be keyed (each is dead-lettered), or null
 * @param documentColumns the relation's columns as documents need them
 */
record ReplicatedRelation(
    PgOutputMessage.Relation relation,
    int historyIndex,
    @Nullable TableShape shape,
    int[] keyIndexes,
    String collection,
    @Nullable String unkeyable,
    List<RowDocument.Column> documentColumns) {}
