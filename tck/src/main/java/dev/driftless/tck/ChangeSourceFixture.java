package dev.driftless.tck;

import dev.driftless.core.spi.ChangeSource;

/**
 * What {@link ChangeSourceContract} needs from a real source: rows it can change in a test
 * collection (for PostgreSQL a table {@code (id text primary key, value text)} in the published
 * set), and sources of that collection's changes for a pipeline name.
 *
 * <p>Every change is its own committed transaction. The suite uses fresh ids per test, so one
 * shared table serves every test; it only looks at events of its own ids.
 */
public interface ChangeSourceFixture extends AutoCloseable {

  /** The collection the source reports the rows under (for PostgreSQL, the table's name). */
  String collection();

  /** The document field that carries the value written by {@link #insert}/{@link #update}. */
  default String valueField() {
    return "value";
  }

  /**
   * A new, not yet started source for {@code pipelineName}. Two sources of one name are the same
   * source restarted: the second resumes after what the first committed (for PostgreSQL: the same
   * replication slot). The suite starts it, and changes rows only after it started.
   */
  ChangeSource createSource(String pipelineName) throws Exception;

  /** Inserts a row, in its own transaction. */
  void insert(String id, String value) throws Exception;

  /** Updates a row's value, in its own transaction. */
  void update(String id, String value) throws Exception;

  /** Deletes a row, in its own transaction. */
  void delete(String id) throws Exception;

  /**
   * Releases what sources of {@code pipelineName} left in the source (for PostgreSQL: drops the
   * replication slot). Called after each test; the default does nothing.
   */
  default void dropPipeline(String pipelineName) throws Exception {}

  /** Called after each test. The default does nothing. */
  @Override
  default void close() throws Exception {}
}
