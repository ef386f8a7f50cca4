package dev.driftless.dynamodb;

import dev.driftless.testinfra.modules.PublishedModule;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ModuleApiTest {
  @Test
  void exportsOnlyTheApiAndHidesInternalsJacksonAndFailsafe() {
    PublishedModule.at(
            Path.of("target/classes"), "dev.driftless.dynamodb", "dev.driftless.dynamodb.reconcile")
        .check();
  }
}
