/**
 * What the Elasticsearch and OpenSearch sinks share. Users see the settings, routing, mapping and
 * stored-document types; the engine-neutral sink in {@code dev.driftless.search.internal} is
 * exported only to the two vendor modules.
 */
module dev.driftless.search {
  requires transitive dev.driftless.core;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  requires static transitive org.jspecify;

  exports dev.driftless.search;
  exports dev.driftless.search.internal to
      dev.driftless.opensearch,
      dev.driftless.elasticsearch;
}
