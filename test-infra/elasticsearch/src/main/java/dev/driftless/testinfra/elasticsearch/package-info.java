/**
 * A real Elasticsearch 7.10.2 node running inside the test JVM, for integration tests, examples and
 * benchmarks. Never put this module on a classpath that also holds OpenSearch: both bundle Lucene.
 */
@NullMarked
package dev.driftless.testinfra.elasticsearch;

import org.jspecify.annotations.NullMarked;
