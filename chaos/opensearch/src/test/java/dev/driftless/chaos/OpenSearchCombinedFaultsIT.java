package dev.driftless.chaos;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.opensearch.OpenSearchNode;

/** The combined-fault suite against OpenSearch 2.19 (a node in this JVM). */
class OpenSearchCombinedFaultsIT extends CombinedFaultsSuite {

  private OpenSearchSink reader;

  @Override
  protected String engine() {
    return "opensearch";
  }

  @Override
  protected String startIndex() {
    return OpenSearchNode.shared().start().httpUrl();
  }

  @Override
  protected void stopIndex() {
    OpenSearchNode.shared().stop();
  }

  @Override
  protected Class<?> childMain() {
    return OpenSearchChaosChild.class;
  }

  @Override
  protected FingerprintReader indexFingerprints(String url) {
    reader = OpenSearchSink.builder().hosts(url).routing(IndexRouting.prefixed("chaos-")).build();
    return reader.fingerprintReader();
  }

  @Override
  protected void closeIndexFingerprints() {
    if (reader != null) {
      reader.close();
    }
  }
}
