/**
 * The OpenSearch sink: {@link dev.driftless.opensearch.OpenSearchSink}, a versioned bulk writer for
 * OpenSearch 2.x and 3.x built on the opensearch-java client, and the index side of reconciliation.
 * The engine-neutral logic lives in {@code dev.driftless.search}.
 */
@NullMarked
package dev.driftless.opensearch;

import org.jspecify.annotations.NullMarked;
