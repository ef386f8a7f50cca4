package dev.driftless.spring.boot;

import dev.driftless.testinfra.modules.PublishedModule;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * No module-info here: Spring Boot applications run on the class path, Spring's jars are automatic
 * modules, and the optional sink modules have no module-info either (see docs/spring-boot.md); the
 * jar carries {@code Automatic-Module-Name: dev.driftless.spring.boot}. The signature rule holds.
 */
class ModuleApiTest {
  @Test
  void apiSignaturesHideJacksonFailsafeAndInternals() {
    PublishedModule.withoutDescriptor(
            Path.of("target/classes"),
            "dev.driftless.spring.boot",
            "dev.driftless.spring.boot.autoconfigure",
            "dev.driftless.spring.boot.actuate")
        .check();
  }
}
