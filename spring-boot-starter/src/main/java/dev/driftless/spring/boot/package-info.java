/** Spring Boot auto-configuration of a Driftless pipeline from {@code driftless.*} properties. */
@NullMarked
package dev.driftless.spring.boot;

import org.jspecify.annotations.NullMarked;
