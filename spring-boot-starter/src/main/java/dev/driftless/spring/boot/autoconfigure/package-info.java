/**
 * The starter's auto-configuration classes (listed in
 * META-INF/spring/...AutoConfiguration.imports).
 */
@NullMarked
package dev.driftless.spring.boot.autoconfigure;

import org.jspecify.annotations.NullMarked;
