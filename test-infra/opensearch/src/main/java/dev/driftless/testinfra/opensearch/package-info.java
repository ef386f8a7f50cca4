/** A real OpenSearch node for tests, examples and benchmarks. */
@NullMarked
package dev.driftless.testinfra.opensearch;

import org.jspecify.annotations.NullMarked;
