package dev.driftless.postgres.internal.types;

import java.util.List;
import java.util.Objects;

/**
 * What the registry knows about one type oid. Element, base, range and attribute types are kept as
 * oids and resolved through the registry when a value is decoded, so they may be loaded lazily.
 */
sealed interface PgType {

  int oid();

  String name();

  /** A type with a fixed decoding rule (all built-in scalars, enums, unknown types). */
  record Scalar(int oid, String name, ScalarKind kind) implements PgType {
    public Scalar {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(kind, "kind");
    }
  }

  /** An array type; {@code delimiter} is the element type's {@code typdelim}. */
  record Array(int oid, String name, int elementOid, char delimiter) implements PgType {
    public Array {
      Objects.requireNonNull(name, "name");
    }
  }

  /** A domain: its values are decoded as {@code baseOid}'s. */
  record Domain(int oid, String name, int baseOid) implements PgType {
    public Domain {
      Objects.requireNonNull(name, "name");
    }
  }

  /** A composite (row) type with its live attributes in column order. */
  record Composite(int oid, String name, List<Attribute> attributes) implements PgType {
    public Composite {
      Objects.requireNonNull(name, "name");
      attributes = List.copyOf(attributes);
    }
  }

  /** One attribute of a composite type. */
  record Attribute(String name, int typeOid, int typmod) {
    public Attribute {
      Objects.requireNonNull(name, "name");
    }
  }

  /** A range over {@code subtypeOid}. */
  record Range(int oid, String name, int subtypeOid) implements PgType {
    public Range {
      Objects.requireNonNull(name, "name");
    }
  }

  /** A multirange over the range type {@code rangeOid}. */
  record Multirange(int oid, String name, int rangeOid) implements PgType {
    public Multirange {
      Objects.requireNonNull(name, "name");
    }
  }
}
