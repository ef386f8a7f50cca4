package dev.driftless.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.driftless.testinfra.modules.PublishedModule;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The package tiers of STYLE.md §1, checked on the compiled classes. */
class ArchitectureTest {
  static final String[] EXPORTED = {
    "dev.driftless.core", "dev.driftless.core.spi", "dev.driftless.core.stores"
  };

  static final JavaClasses CORE =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPath(java.nio.file.Path.of("target/classes"));

  @Test
  void spiNeverDependsOnInternal() {
    noClasses()
        .that()
        .resideInAPackage("dev.driftless.core.spi..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.driftless.core.internal..")
        .check(CORE);
  }

  @Test
  void coreNeverSeesAVendorClass() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.postgresql..",
            "software.amazon..",
            "org.elasticsearch..",
            "co.elastic..",
            "org.opensearch..",
            "org.apache.lucene..")
        .check(CORE);
  }

  /** module-info exports exactly the API packages; no API signature names Jackson or Failsafe. */
  @Test
  void exportsOnlyTheApiAndHidesJacksonAndFailsafe() {
    PublishedModule.at(Path.of("target/classes"), EXPORTED).check();
  }
}
