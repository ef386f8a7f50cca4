package dev.driftless.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The package tiers of STYLE.md §1, checked on the compiled classes. */
class ArchitectureTest {
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

  @Test
  void publicApiAndSpiDoNotExposeJacksonOrFailsafe() {
    noClasses()
        .that()
        .resideInAPackage("dev.driftless.core.spi..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("com.fasterxml..", "dev.failsafe..")
        .check(CORE);
  }
}
