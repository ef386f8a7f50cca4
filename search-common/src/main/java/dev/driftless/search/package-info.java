/**
 * What the Elasticsearch and OpenSearch sinks share, independent of any vendor client.
 *
 * <p>{@link dev.driftless.search.SearchSink} is a complete {@link
 * dev.driftless.core.spi.VersionedSink} for both engines: versioned bulk writes streamed as NDJSON,
 * per-item classification, index creation and mapping validation, versioned deletes or tombstones,
 * and the index side of reconciliation ({@link dev.driftless.search.IndexFingerprintReader}). A
 * vendor module only adapts its HTTP client to the tiny {@link
 * dev.driftless.search.SearchTransport} interface and offers a builder.
 *
 * <p>Only REST APIs common to Elasticsearch 7.10–9.x and OpenSearch 2.x–3.x are used: {@code _bulk}
 * with {@code version_type=external_gte}, {@code _doc} point reads, index creation with typeless
 * mappings, {@code _mapping}, {@code _aliases}, {@code _search} with {@code search_after}, {@code
 * range} and {@code sum} aggregations, {@code _delete_by_query} and {@code _refresh}.
 */
@NullMarked
package dev.driftless.search;

import org.jspecify.annotations.NullMarked;
