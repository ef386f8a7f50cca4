/*
 * The Driftless TCK: contract suites for every SPI, property tests of the invariants, and the
 * in-memory reference source and sink. Open, because JUnit and jqwik run the inherited test
 * methods of its suites reflectively.
 */
open module dev.driftless.tck {
  requires transitive dev.driftless.core;
  requires transitive org.junit.jupiter.api;
  requires transitive org.assertj.core;
  requires transitive net.jqwik.api;
  requires static transitive org.jspecify;

  exports dev.driftless.tck;
}
