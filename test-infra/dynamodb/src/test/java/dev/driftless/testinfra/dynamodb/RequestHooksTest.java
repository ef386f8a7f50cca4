package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/** beforeEach: an action runs before each request of an operation and may call the emulator. */
class RequestHooksTest extends EmulatorTestBase {

  @Test
  void anActionRunsBeforeEachScanPageAndItsWritesAreSeenByThatPage() {
    createTable("Items", null);
    for (int i = 0; i < 6; i++) {
      String id = "k" + i;
      sdk.dynamoDb().putItem(b -> b.tableName("Items").item(item(id, "n", 0)));
    }
    AtomicInteger pages = new AtomicInteger();
    // Before each page: write every item again through the SDK (another serving thread answers).
    emu.beforeEach(
        "Scan",
        () -> {
          int page = pages.incrementAndGet();
          for (int i = 0; i < 6; i++) {
            String id = "k" + i;
            sdk.dynamoDb().putItem(b -> b.tableName("Items").item(item(id, "n", page)));
          }
        });
    List<Integer> seen = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse r =
          sdk.dynamoDb().scan(b -> b.tableName("Items").limit(2).exclusiveStartKey(from));
      r.items().forEach(item -> seen.add(Integer.parseInt(item.get("n").n())));
      start = r.hasLastEvaluatedKey() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    // Each page carries the values written just before it: 1, 1, 2, 2, 3, 3.
    assertThat(seen).startsWith(1, 1, 2, 2, 3, 3);
    assertThat(emu.requestCount("PutItem")).isEqualTo(6 + 6L * pages.get());

    emu.clearBeforeEach();
    int before = pages.get();
    sdk.dynamoDb().scan(b -> b.tableName("Items"));
    assertThat(pages.get()).isEqualTo(before);
  }
}
