package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShardLineageTest {

  @Test
  void childWaitsUntilItsParentIsDone() {
    ShardLineage lineage = new ShardLineage();
    lineage.add("child", "parent", false);
    lineage.add("parent", null, true);
    assertThat(lineage.readable()).containsExactly("parent");
    lineage.markStarted("parent");
    assertThat(lineage.readable()).isEmpty();
    lineage.markDone("parent");
    assertThat(lineage.readable()).containsExactly("child");
  }

  @Test
  void aParentNeverListedDoesNotBlock() {
    ShardLineage lineage = new ShardLineage();
    lineage.add("child", "trimmed-away", false);
    assertThat(lineage.readable()).containsExactly("child");
  }

  @Test
  void splitChildrenBothWaitAndBothFollow() {
    ShardLineage lineage = new ShardLineage();
    lineage.add("p", null, true);
    lineage.add("c1", "p", false);
    lineage.add("c2", "p", false);
    lineage.add("g", "c1", false);
    assertThat(lineage.readable()).containsExactly("p");
    lineage.markDone("p");
    assertThat(lineage.readable()).containsExactly("c1", "c2");
    assertThat(lineage.childrenOf("p")).containsExactly("c1", "c2");
    lineage.markDone("c1");
    assertThat(lineage.readable()).containsExactly("c2", "g");
  }

  @Test
  void aForgottenDoneParentLeavesItsChildARoot() {
    ShardLineage lineage = new ShardLineage();
    lineage.add("p", null, true);
    lineage.add("c", "p", false);
    lineage.markDone("p");
    lineage.forget("p");
    assertThat(lineage.knows("p")).isFalse();
    assertThat(lineage.readable()).containsExactly("c");
  }

  @Test
  void aShardStoppedBeforeItWasDoneIsReadableAgain() {
    ShardLineage lineage = new ShardLineage();
    lineage.add("s", null, false);
    lineage.markStarted("s");
    assertThat(lineage.readable()).isEmpty();
    lineage.markStopped("s");
    assertThat(lineage.readable()).containsExactly("s");
  }
}
