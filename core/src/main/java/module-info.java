/**
 * Driftless core: the public API ({@code dev.driftless.core}), the SPIs sources, sinks and stores
 * implement ({@code dev.driftless.core.spi}), and the built-in stores ({@code
 * dev.driftless.core.stores}). The runner and the other parts in {@code
 * dev.driftless.core.internal} are not API: they are exported only to Driftless's own modules.
 */
module dev.driftless.core {
  requires com.fasterxml.jackson.core;
  requires dev.failsafe.core;
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;

  exports dev.driftless.core;
  exports dev.driftless.core.spi;
  exports dev.driftless.core.stores;
  exports dev.driftless.core.internal to
      dev.driftless.search,
      dev.driftless.postgres,
      dev.driftless.tck;
}
