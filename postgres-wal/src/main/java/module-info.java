/**
 * The PostgreSQL source: pgoutput logical replication with commit-LSN versions, backfill, repair
 * reads ({@code dev.driftless.postgres}) and the database side of reconciliation ({@code
 * dev.driftless.postgres.reconcile}). The parts inside ({@code dev.driftless.postgres.internal})
 * are not exported.
 */
module dev.driftless.postgres {
  requires transitive dev.driftless.core;
  requires transitive java.sql;
  requires org.postgresql.jdbc;
  requires org.slf4j;
  requires static transitive org.jspecify;

  exports dev.driftless.postgres;
  exports dev.driftless.postgres.reconcile;
}
