package dev.driftless.chaos;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.elasticsearch.ElasticsearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.elasticsearch.ElasticsearchNode;

/** The combined-fault suite against Elasticsearch 7.10 (a node in this JVM). */
class ElasticsearchCombinedFaultsIT extends CombinedFaultsSuite {

  private static ElasticsearchNode node;
  private ElasticsearchSink reader;

  private static synchronized ElasticsearchNode node() {
    if (node == null) {
      node = ElasticsearchNode.builder().build();
      ElasticsearchNode toClose = node;
      Runtime.getRuntime().addShutdownHook(new Thread(toClose::close, "chaos-elasticsearch-close"));
    }
    return node;
  }

  @Override
  protected String engine() {
    return "elasticsearch";
  }

  @Override
  protected String startIndex() {
    node().start();
    return node().url();
  }

  @Override
  protected void stopIndex() {
    node().stop();
  }

  @Override
  protected Class<?> childMain() {
    return ElasticsearchChaosChild.class;
  }

  @Override
  protected FingerprintReader indexFingerprints(String url) {
    reader =
        ElasticsearchSink.builder().hosts(url).routing(IndexRouting.prefixed("chaos-")).build();
    return reader.fingerprintReader();
  }

  @Override
  protected void closeIndexFingerprints() {
    if (reader != null) {
      reader.close();
    }
  }
}
