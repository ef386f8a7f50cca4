/** A real PostgreSQL server for tests, examples and benchmarks. */
@NullMarked
package dev.driftless.testinfra.postgres;

import org.jspecify.annotations.NullMarked;
