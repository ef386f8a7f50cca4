package dev.driftless.postgres.internal;

import dev.driftless.core.DriftlessException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated tables' shapes (keys, names), as described at start and asked for again when the
 * stream announces a relation that is new or whose key changed; and, from them, what the source
 * needs of each announced relation ({@link ReplicatedRelation}). A table that cannot be keyed
 * mid-stream has its changes isolated (dead-lettered with the reason) rather than stopping the
 * stream. Confined to the source's poll thread; {@link #shapes()} is safe from any thread.
 */
final class ReplicatedTables implements TransactionAssembler.RelationCatalog {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedTables.class);

  /** The administrative connection, opened on demand. */
  @FunctionalInterface
  interface AdminConnection {
    Connection connection() throws SQLException;
  }

  private final List<String> tables;
  private final boolean allowReplicaIdentityFull;
  private final AdminConnection admin;
  private final Consumer<Collection<TableShape>> onChange;
  private volatile Map<String, TableShape> shapes = Map.of();

  /**
   * @param tables the configured tables (qualified), or empty for every table of the publication
   * @param onChange told of every new set of shapes (the repair reader reads by them)
   */
  ReplicatedTables(
      List<String> tables,
      boolean allowReplicaIdentityFull,
      AdminConnection admin,
      Consumer<Collection<TableShape>> onChange) {
    this.tables = tables;
    this.allowReplicaIdentityFull = allowReplicaIdentityFull;
    this.admin = admin;
    this.onChange = onChange;
  }

  /** The shapes by qualified name, in the order the tables are replicated. */
  Map<String, TableShape> shapes() {
    return shapes;
  }

  /** Replaces the shapes (at start). */
  void set(Map<String, TableShape> shapes) {
    this.shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
    onChange.accept(this.shapes.values());
  }

  @Override
  public ReplicatedRelation describe(PgOutputMessage.Relation r, int historyIndex)
      throws SQLException {
    String qualified = r.namespace() + "." + r.name();
    String collection = TableShape.collectionOf(r.namespace(), r.name());
    TableShape shape = null;
    int @Nullable [] keyIndexes = new int[0];
    String unkeyable = null;
    boolean replicated = tables.isEmpty() || tables.contains(qualified);
    if (replicated) {
      shape = shapes.get(qualified);
      keyIndexes = shape == null ? null : keyIndexes(shape, r);
      if (shape == null || keyIndexes == null) {
        // A table new to the publication, or whose key changed: ask the catalog now. What makes a
        // table unusable was refused at start; found now, mid-stream, its changes are isolated
        // (dead-lettered with the reason) rather than stopping the stream.
        try {
          shape =
              ReplicationSetup.describe(
                      admin.connection(), r.namespace(), r.name(), allowReplicaIdentityFull)
                  .orElseThrow(() -> new DriftlessException("table " + qualified + " vanished"));
          Map<String, TableShape> updated = new LinkedHashMap<>(shapes);
          updated.put(qualified, shape);
          set(updated);
          keyIndexes = keyIndexes(shape, r);
          if (keyIndexes == null) {
            unkeyable =
                "the key columns "
                    + shape.keyColumns()
                    + " of "
                    + qualified
                    + " are not replicated (a publication column list leaves them out)";
          }
        } catch (DriftlessException e) {
          unkeyable = e.getMessage();
          shape = new TableShape(r.namespace(), r.name(), List.of(), r.replicaIdentity());
        }
        if (unkeyable != null) {
          LOG.error(
              "changes of " + qualified + " cannot be keyed; each is dead-lettered: " + unkeyable);
        }
      }
    }
    List<RowDocument.Column> documentColumns = new ArrayList<>(r.columns().size());
    for (PgOutputMessage.Column col : r.columns()) {
      documentColumns.add(new RowDocument.Column(col.name(), col.typeOid(), col.typmod()));
    }
    return new ReplicatedRelation(
        r,
        historyIndex,
        shape,
        keyIndexes == null ? new int[0] : keyIndexes,
        collection,
        unkeyable,
        List.copyOf(documentColumns));
  }

  private static int @Nullable [] keyIndexes(TableShape shape, PgOutputMessage.Relation r) {
    int[] indexes = new int[shape.keyColumns().size()];
    for (int k = 0; k < indexes.length; k++) {
      indexes[k] = -1;
      for (int c = 0; c < r.columns().size(); c++) {
        if (r.columns().get(c).name().equals(shape.keyColumns().get(k))) {
          indexes[k] = c;
        }
      }
      if (indexes[k] < 0) {
        return null;
      }
    }
    return indexes;
  }
}
