/**
 * What users of the Elasticsearch and OpenSearch sinks configure and read, the same for both
 * engines: {@link dev.driftless.search.ClientSettings} (hosts, authentication, trust, timeouts,
 * compression), {@link dev.driftless.search.SearchSinkBuilder}, {@link
 * dev.driftless.search.IndexRouting}, {@link dev.driftless.search.IndexMapping}, the stored form of
 * a document ({@link StoredDocument}, {@link dev.driftless.search.MetadataFields}) and the mapping
 * of keys to engine ids ({@link dev.driftless.search.EngineIds}).
 *
 * <p>The engine-neutral sink itself lives in {@code dev.driftless.search.internal}, exported only
 * to the two vendor modules: versioned bulk writes streamed as NDJSON, per-item classification,
 * index creation and mapping validation, versioned deletes or tombstones, and the index side of
 * reconciliation. A vendor module adapts its HTTP client to that package's small transport
 * interface and offers a builder.
 *
 * <p>Only REST APIs common to Elasticsearch 7.10–9.x and OpenSearch 2.x–3.x are used: {@code _bulk}
 * with {@code version_type=external_gte}, {@code _doc} point reads, index creation with typeless
 * mappings, {@code _mapping}, {@code _aliases}, {@code _search} with {@code search_after}, {@code
 * range} and {@code sum} aggregations, {@code _delete_by_query} and {@code _refresh}.
 */
@NullMarked
package dev.driftless.search;

import dev.driftless.core.StoredDocument;
import org.jspecify.annotations.NullMarked;
