package dev.driftless.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
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

  /**
   * No public signature of an exported package (API, SPI, stores) names a Jackson or Failsafe type:
   * users must be free to upgrade or drop them, and Driftless to replace them.
   */
  @Test
  void exportedSignaturesDoNotExposeJacksonOrFailsafe() {
    ArchCondition<JavaMember> notExposing =
        new ArchCondition<>("not name Jackson or Failsafe types in its signature") {
          @Override
          public void check(JavaMember member, ConditionEvents events) {
            Set<JavaClass> named = new HashSet<>();
            if (member instanceof JavaCodeUnit unit) {
              named.addAll(unit.getRawParameterTypes());
              named.add(unit.getRawReturnType());
              unit.getThrowsClause().getTypes().forEach(named::add);
            } else if (member instanceof JavaField field) {
              named.add(field.getRawType());
            }
            for (JavaClass type : named) {
              String name = type.getBaseComponentType().getName();
              if (name.startsWith("com.fasterxml.") || name.startsWith("dev.failsafe.")) {
                events.add(
                    SimpleConditionEvent.violated(
                        member, member.getFullName() + " exposes " + type.getName()));
              }
            }
          }
        };
    members()
        .that()
        .areDeclaredInClassesThat()
        .resideInAnyPackage(EXPORTED)
        .and()
        .areDeclaredInClassesThat()
        .arePublic()
        .and(
            DescribedPredicate.describe(
                "are public or protected",
                (JavaMember m) ->
                    m.getModifiers().contains(JavaModifier.PUBLIC)
                        || m.getModifiers().contains(JavaModifier.PROTECTED)))
        .should(notExposing)
        .check(CORE);
  }

  /** What module-info.java exports to everyone; everything else is internal. */
  @Test
  void moduleExportsExactlyTheApiPackages() {
    ModuleDescriptor module =
        ModuleFinder.of(Path.of("target/classes")).findAll().iterator().next().descriptor();
    assertThat(module.exports())
        .filteredOn(e -> !e.isQualified())
        .extracting(ModuleDescriptor.Exports::source)
        .containsExactlyInAnyOrder(EXPORTED);
    assertThat(module.exports())
        .filteredOn(ModuleDescriptor.Exports::isQualified)
        .allSatisfy(e -> assertThat(e.targets()).allMatch(t -> t.startsWith("dev.driftless.")));
  }
}
