package dev.driftless.micrometer;

import dev.driftless.testinfra.modules.PublishedModule;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ModuleApiTest {
  @Test
  void exportsOnlyTheApiAndHidesJacksonAndFailsafe() {
    PublishedModule.at(Path.of("target/classes"), "dev.driftless.micrometer").check();
  }
}
