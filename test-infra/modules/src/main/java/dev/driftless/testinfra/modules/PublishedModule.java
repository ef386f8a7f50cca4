package dev.driftless.testinfra.modules;

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
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The rules a published Driftless module keeps, checked on its compiled main classes (a module's
 * {@code target/classes}):
 *
 * <ul>
 *   <li>its {@code module-info} exports exactly the packages it says are API, and exports any other
 *       package only to named Driftless modules; a package named {@code internal} is never API;
 *   <li>no public or protected member of a public class in an API package names a Jackson or
 *       Failsafe type in its signature (users must be free to upgrade or drop those libraries, and
 *       Driftless to replace them), nor a type of an {@code internal} package (which users cannot
 *       see on the module path).
 * </ul>
 *
 * <p>A module whose dependencies have no stable module names (the sink modules: opensearch-java and
 * the Elasticsearch REST client) ships an {@code Automatic-Module-Name} instead of a module-info;
 * for it, {@link #withoutDescriptor} checks the same signature rule over its packages.
 */
public final class PublishedModule {

  /** Packages of libraries whose types must not appear in an API signature. */
  public static final List<String> HIDDEN_LIBRARIES = List.of("com.fasterxml.", "dev.failsafe.");

  private final Path classes;
  private final Set<String> apiPackages;
  private final Optional<ModuleDescriptor> descriptor;

  private PublishedModule(Path classes, Set<String> apiPackages, Optional<ModuleDescriptor> d) {
    this.classes = classes;
    this.apiPackages = apiPackages;
    this.descriptor = d;
  }

  /** The module compiled to {@code classes}, whose module-info must export {@code apiPackages}. */
  public static PublishedModule at(Path classes, String... apiPackages) {
    assertThat(classes.resolve("module-info.class"))
        .as("module-info of the module compiled to %s", classes)
        .exists();
    ModuleReference ref = ModuleFinder.of(classes).findAll().iterator().next();
    return new PublishedModule(classes, Set.of(apiPackages), Optional.of(ref.descriptor()));
  }

  /** A module without module-info (see the class comment) whose API is {@code apiPackages}. */
  public static PublishedModule withoutDescriptor(Path classes, String... apiPackages) {
    assertThat(Files.exists(classes.resolve("module-info.class")))
        .as("%s has a module-info: use PublishedModule.at", classes)
        .isFalse();
    return new PublishedModule(classes, Set.of(apiPackages), Optional.empty());
  }

  /** Checks both rules. */
  public void check() {
    assertThat(apiPackages).noneMatch(p -> p.endsWith(".internal") || p.contains(".internal."));
    descriptor.ifPresent(this::checkExports);
    checkSignatures();
  }

  private void checkExports(ModuleDescriptor module) {
    Set<String> unqualified =
        module.exports().stream()
            .filter(e -> !e.isQualified())
            .map(ModuleDescriptor.Exports::source)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(unqualified)
        .as("what %s exports to everyone", module.name())
        .isEqualTo(new TreeSet<>(apiPackages));
    for (ModuleDescriptor.Exports e : module.exports()) {
      if (e.isQualified()) {
        assertThat(e.targets())
            .as("the modules %s exports %s to", module.name(), e.source())
            .allMatch(t -> t.startsWith("dev.driftless."));
      }
    }
  }

  private void checkSignatures() {
    JavaClasses imported =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPath(classes);
    ArchRuleDefinition.members()
        .that()
        .areDeclaredInClassesThat()
        .resideInAnyPackage(apiPackages.toArray(String[]::new))
        .and()
        .areDeclaredInClassesThat()
        .arePublic()
        .and(
            DescribedPredicate.describe(
                "are public or protected",
                (JavaMember m) ->
                    m.getModifiers().contains(JavaModifier.PUBLIC)
                        || m.getModifiers().contains(JavaModifier.PROTECTED)))
        .should(notNamingAHiddenLibrary())
        .allowEmptyShould(true)
        .check(imported);
    ArchRuleDefinition.noClasses()
        .that()
        .resideInAnyPackage(apiPackages.toArray(String[]::new))
        .and()
        .arePublic()
        .should()
        .beAssignableTo(
            JavaClass.Predicates.resideInAnyPackage("com.fasterxml..", "dev.failsafe.."))
        .allowEmptyShould(true)
        .check(imported);
  }

  private static ArchCondition<JavaMember> notNamingAHiddenLibrary() {
    return new ArchCondition<>(
        "not name a Jackson, Failsafe or Driftless-internal type in its signature") {
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
          if (HIDDEN_LIBRARIES.stream().anyMatch(name::startsWith) || name.contains(".internal.")) {
            events.add(
                SimpleConditionEvent.violated(
                    member, member.getFullName() + " exposes " + type.getName()));
          }
        }
      }
    };
  }
}
