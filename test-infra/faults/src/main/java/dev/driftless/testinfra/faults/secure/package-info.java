/**
 * A secured front for tests: an HTTPS reverse proxy with a generated self-signed certificate that
 * checks basic or API-key credentials before forwarding to a plain-HTTP engine (JDK only).
 */
@NullMarked
package dev.driftless.testinfra.faults.secure;

import org.jspecify.annotations.NullMarked;
