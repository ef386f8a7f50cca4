package dev.driftless.dynamodb.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The shards of one stream and their parent links, and which of them are done (fully read and every
 * record settled). A shard may be read only once its parent is done, or when its parent is unknown
 * (never listed, or trimmed away before this pipeline knew it): DynamoDB writes a key's changes to
 * one shard lineage, so reading parents first keeps each key's changes in order.
 *
 * <p>Shards can be listed in any order and children before their parents' closing shows; a parent
 * learnt after its child makes the child wait again (if it has not started). Not thread-safe.
 */
public final class ShardLineage {

  /** What is known of one shard. */
  private static final class Node {
    @Nullable String parent;
    boolean closed;
    boolean done;
    boolean started;

    Node(@Nullable String parent) {
      this.parent = parent;
    }
  }

  private final Map<String, Node> shards = new LinkedHashMap<>();
  private final Map<String, List<String>> children = new HashMap<>();

  /** Records a listed shard; returns whether it was new. */
  public boolean add(String shardId, @Nullable String parentId, boolean closed) {
    Node node = shards.get(shardId);
    boolean added = node == null;
    if (node == null) {
      node = new Node(parentId);
      shards.put(shardId, node);
      if (parentId != null) {
        children.computeIfAbsent(parentId, p -> new ArrayList<>()).add(shardId);
      }
    }
    node.closed |= closed;
    return added;
  }

  public boolean knows(String shardId) {
    return shards.containsKey(shardId);
  }

  /** The shard is fully read and every record of it settled. */
  public void markDone(String shardId) {
    Node node = shards.get(shardId);
    if (node == null) {
      node = new Node(null);
      shards.put(shardId, node);
    }
    node.done = true;
    node.closed = true;
  }

  public boolean isDone(String shardId) {
    Node node = shards.get(shardId);
    return node != null && node.done;
  }

  public void markStarted(String shardId) {
    Node node = shards.get(shardId);
    if (node != null) {
      node.started = true;
    }
  }

  /** The shard stopped being read before it was done (its lease was lost): it may start again. */
  public void markStopped(String shardId) {
    Node node = shards.get(shardId);
    if (node != null) {
      node.started = false;
    }
  }

  public boolean isClosed(String shardId) {
    Node node = shards.get(shardId);
    return node != null && node.closed;
  }

  public @Nullable String parentOf(String shardId) {
    Node node = shards.get(shardId);
    return node == null ? null : node.parent;
  }

  public List<String> childrenOf(String shardId) {
    return List.copyOf(children.getOrDefault(shardId, List.of()));
  }

  /**
   * Shards not done and not started whose parent is done or unknown, parents of a chain before
   * their children, in the order they were first listed.
   */
  public List<String> readable() {
    List<String> ready = new ArrayList<>();
    for (Map.Entry<String, Node> e : shards.entrySet()) {
      Node node = e.getValue();
      if (node.done || node.started) {
        continue;
      }
      String parent = node.parent;
      if (parent == null || !shards.containsKey(parent) || isDone(parent)) {
        ready.add(e.getKey());
      }
    }
    return ready;
  }

  /** Every shard known and not done. */
  public Set<String> unfinished() {
    Set<String> open = new HashSet<>();
    shards.forEach(
        (id, node) -> {
          if (!node.done) {
            open.add(id);
          }
        });
    return open;
  }

  /** Forgets a done shard that is no longer listed (trimmed away). Its children become roots. */
  public void forget(String shardId) {
    Node node = shards.remove(shardId);
    if (node != null && node.parent != null) {
      List<String> siblings = children.get(node.parent);
      if (siblings != null) {
        siblings.remove(shardId);
      }
    }
  }

  public Set<String> ids() {
    return Set.copyOf(shards.keySet());
  }

  public int size() {
    return shards.size();
  }

  public int closedCount() {
    int n = 0;
    for (Node node : shards.values()) {
      if (node.closed) {
        n++;
      }
    }
    return n;
  }
}
