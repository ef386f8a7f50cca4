package dev.driftless.spring.boot.autoconfigure;

import dev.driftless.spring.boot.DriftlessProperties.ReconciliationProperties;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when at least one {@code driftless.reconciliation.<collection>} entry is set. */
class OnReconciliationCondition extends SpringBootCondition {
  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    boolean any =
        Binder.get(context.getEnvironment())
            .bind(
                "driftless.reconciliation",
                Bindable.mapOf(String.class, ReconciliationProperties.class))
            .map(m -> !m.isEmpty())
            .orElse(false);
    return any
        ? ConditionOutcome.match("driftless.reconciliation has entries")
        : ConditionOutcome.noMatch("no driftless.reconciliation entries");
  }
}
