package dev.driftless.opensearch;

import dev.driftless.testinfra.modules.PublishedModule;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** No module-info here (see {@link PublishedModule}); the signature rule still holds. */
class ModuleApiTest {
  @Test
  void hidesJacksonAndFailsafe() {
    PublishedModule.withoutDescriptor(Path.of("target/classes"), "dev.driftless.opensearch")
        .check();
  }
}
