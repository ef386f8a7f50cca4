/**
 * Implementation details: the pipeline runner, per-key scheduling, settle tracking and the default
 * stores' internals, and the credential {@link dev.driftless.core.internal.Redaction} every
 * Driftless module uses. Not an API: anything here may change in any release, and neither users nor
 * {@code dev.driftless.core.spi} may import it.
 */
@NullMarked
package dev.driftless.core.internal;

import org.jspecify.annotations.NullMarked;
