/** Actuator support: the {@code driftless} health indicator and endpoint. */
@NullMarked
package dev.driftless.spring.boot.actuate;

import org.jspecify.annotations.NullMarked;
