/**
 * A real OpenSearch 3.x node for tests and benchmarks, in a child process on Java 21+, with the
 * same API as the in-process OpenSearch 2.19 node of {@code driftless-test-infra-opensearch}.
 */
@NullMarked
package dev.driftless.testinfra.opensearch;

import org.jspecify.annotations.NullMarked;
