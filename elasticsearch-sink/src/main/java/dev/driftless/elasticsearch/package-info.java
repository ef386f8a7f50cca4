/**
 * The Elasticsearch sink: {@link dev.driftless.elasticsearch.ElasticsearchSink} writes versioned
 * documents to Elasticsearch 7.10 through 9.x over the low-level REST client, using only REST APIs
 * common to those versions. The engine-neutral work (bulk encoding, classification, index
 * management, tombstones, reconciliation reads) lives in {@code dev.driftless.search}.
 */
@NullMarked
package dev.driftless.elasticsearch;

import org.jspecify.annotations.NullMarked;
