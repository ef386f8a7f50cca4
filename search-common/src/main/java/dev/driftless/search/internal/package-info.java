/**
 * The engine-neutral search sink, not API: exported only to the OpenSearch and Elasticsearch
 * modules. {@link dev.driftless.search.internal.SearchSink} is a complete {@link
 * dev.driftless.core.spi.VersionedSink} over a {@link
 * dev.driftless.search.internal.SearchTransport}; its parts are the bulk writer, the index
 * administration and the index fingerprint reader (docs/architecture.md).
 */
@NullMarked
package dev.driftless.search.internal;

import org.jspecify.annotations.NullMarked;
